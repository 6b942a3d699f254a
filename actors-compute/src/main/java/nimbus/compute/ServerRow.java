package nimbus.compute;

/**
 * A server as the read side keeps it: the entity's own state after the same events, through the
 * entity's one state function ({@link ServerEntity#next}), so a listed server cannot differ
 * from the server itself.
 */
public record ServerRow(String id, ServerEntity.State state) {

  /** The row of a server just requested. */
  static ServerRow requested(ServerEntity.ServerRequested e) {
    return new ServerRow(e.serverId(), ServerEntity.next(new ServerEntity.NoServer(), e));
  }

  ServerRow after(ServerEntity.Event event) {
    return new ServerRow(id, ServerEntity.next(state, event));
  }

  public ServerView view() {
    return ServerEntity.view(state);
  }
}
