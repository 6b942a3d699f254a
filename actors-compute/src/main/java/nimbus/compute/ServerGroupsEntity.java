package nimbus.compute;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import nimbus.cluster.CborSerializable;
import nimbus.cluster.Entities;
import nimbus.cluster.Rejection;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * One project's server groups (Nova's os-server-groups), keyed by project id: each group's
 * policy and members. Placement itself is enforced by the scheduler and the host entities;
 * this entity names the groups and keeps their member lists.
 */
public final class ServerGroupsEntity extends EventSourcedBehaviorWithEnforcedReplies<
    ServerGroupsEntity.Command, ServerGroupsEntity.Event, ServerGroupsEntity.Groups> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "ServerGroups");

  /**
   * A server group; {@code host} is where an affinity group's members go, fixed by the first
   * member placed and freed when the last one leaves.
   */
  public record Group(String id, String name, String policy, String userId, List<String> members,
      Optional<String> host) implements CborSerializable {

    public Placement placement(String projectId) {
      return new Placement(projectId, id, policy);
    }

    Group with(List<String> newMembers) {
      return new Group(id, name, policy, userId, List.copyOf(newMembers), newMembers.isEmpty() ? Optional.empty() : host);
    }

    Group pinnedTo(String newHost) {
      return new Group(id, name, policy, userId, members, Optional.of(newHost));
    }
  }

  /** Messages a project's server groups understand. */
  public sealed interface Command extends CborSerializable {}

  public record Create(Group group, ActorRef<StatusReply<Group>> replyTo) implements Command {}

  public record Get(String groupId, ActorRef<StatusReply<Group>> replyTo) implements Command {}

  public record ListGroups(ActorRef<StatusReply<Groups>> replyTo) implements Command {}

  public record Delete(String groupId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Makes servers members of a group (idempotent); answers the group. */
  public record Join(String groupId, List<String> serverIds, ActorRef<StatusReply<Group>> replyTo) implements Command {}

  /** A member was deleted. */
  public record Leave(String groupId, String serverId) implements Command {}

  /** {@link Leave}, answered once done (a deleted server's release step waits for it). */
  public record LeaveConfirmed(String groupId, String serverId, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /**
   * A member of an affinity group was placed on {@code host}: answers the group's host, which
   * is {@code host} unless an earlier member fixed another (a group that is gone answers
   * {@code host}: there is nothing to keep together).
   */
  public record Pin(String groupId, String host, ActorRef<StatusReply<String>> replyTo) implements Command {}

  /** Facts about a project's server groups. */
  public sealed interface Event extends CborSerializable {}

  public record GroupCreated(Group group) implements Event {}

  public record GroupDeleted(String groupId) implements Event {}

  public record MembersJoined(String groupId, List<String> serverIds) implements Event {}

  public record MemberLeft(String groupId, String serverId) implements Event {}

  public record GroupPinned(String groupId, String host) implements Event {}

  /** The project's groups by id, oldest first. */
  public record Groups(Map<String, Group> byId) implements CborSerializable {}

  /** A project's groups: at most {@code maxGroups} of them, each of at most {@code maxMembers}. */
  public static Behavior<Command> create(String projectId, int maxGroups, int maxMembers) {
    return new ServerGroupsEntity(projectId, maxGroups, maxMembers);
  }

  private final int maxGroups;
  private final int maxMembers;

  private ServerGroupsEntity(String projectId, int maxGroups, int maxMembers) {
    super(PersistenceId.of(TYPE_KEY.name(), projectId), Entities.JOURNAL_BACKOFF);
    this.maxGroups = maxGroups;
    this.maxMembers = maxMembers;
  }

  @Override
  public Groups emptyState() {
    return new Groups(Map.of());
  }

  @Override
  public CommandHandlerWithReply<Command, Event, Groups> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Create.class, (g, c) -> {
          if (g.byId().containsKey(c.group().id())) {
            return Effect().reply(c.replyTo(), Rejection.conflict("Server group " + c.group().id() + " exists"));
          }
          if (g.byId().size() >= maxGroups) {
            return Effect().reply(c.replyTo(), Rejection.of(Rejection.Kind.FORBIDDEN, "Quota exceeded, too many server groups."));
          }
          return Effect().persist(new GroupCreated(c.group())).thenReply(c.replyTo(), n -> StatusReply.success(c.group()));
        })
        .onCommand(Get.class, (g, c) -> Effect().reply(c.replyTo(), found(g, c.groupId())))
        .onCommand(ListGroups.class, (g, c) -> Effect().reply(c.replyTo(), StatusReply.success(g)))
        .onCommand(Delete.class, (g, c) -> g.byId().containsKey(c.groupId())
            ? Effect().persist(new GroupDeleted(c.groupId())).thenReply(c.replyTo(), n -> StatusReply.ack())
            : Effect().reply(c.replyTo(), notFound(c.groupId())))
        .onCommand(Join.class, this::join)
        .onCommand(Pin.class, (g, c) -> {
          Group group = g.byId().get(c.groupId());
          if (group == null) return Effect().reply(c.replyTo(), StatusReply.success(c.host()));
          if (group.host().isPresent()) return Effect().reply(c.replyTo(), StatusReply.success(group.host().get()));
          return Effect().persist(new GroupPinned(c.groupId(), c.host()))
              .thenReply(c.replyTo(), n -> StatusReply.success(c.host()));
        })
        .onCommand(Leave.class, (g, c) -> g.byId().containsKey(c.groupId())
                && g.byId().get(c.groupId()).members().contains(c.serverId())
            ? Effect().persist(new MemberLeft(c.groupId(), c.serverId())).thenNoReply()
            : Effect().noReply())
        .onCommand(LeaveConfirmed.class, (g, c) -> g.byId().containsKey(c.groupId())
                && g.byId().get(c.groupId()).members().contains(c.serverId())
            ? Effect().persist(new MemberLeft(c.groupId(), c.serverId())).thenReply(c.replyTo(), n -> StatusReply.ack())
            : Effect().reply(c.replyTo(), StatusReply.ack()))
        .build();
  }

  private ReplyEffect<Event, Groups> join(Groups g, Join c) {
    Group group = g.byId().get(c.groupId());
    if (group == null) return Effect().reply(c.replyTo(), notFound(c.groupId()));
    List<String> fresh = c.serverIds().stream().filter(id -> !group.members().contains(id)).toList();
    if (fresh.isEmpty()) return Effect().reply(c.replyTo(), StatusReply.success(group));
    if (group.members().size() + fresh.size() > maxMembers) {
      return Effect().reply(c.replyTo(), Rejection.of(Rejection.Kind.FORBIDDEN, "Quota exceeded, too many servers in group"));
    }
    return Effect().persist(new MembersJoined(c.groupId(), fresh))
        .thenReply(c.replyTo(), n -> StatusReply.success(n.byId().get(c.groupId())));
  }

  private static StatusReply<Group> found(Groups g, String id) {
    Group group = g.byId().get(id);
    return group == null ? notFound(id) : StatusReply.success(group);
  }

  private static <T> StatusReply<T> notFound(String id) {
    return Rejection.notFound("Instance group " + id + " could not be found.");
  }

  @Override
  public EventHandler<Groups, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onEvent(GroupCreated.class, (g, e) -> changed(g, e.group().id(), e.group()))
        .onEvent(GroupDeleted.class, (g, e) -> changed(g, e.groupId(), null))
        .onEvent(MembersJoined.class, (g, e) -> {
          Group group = g.byId().get(e.groupId());
          List<String> members = new ArrayList<>(group.members());
          members.addAll(e.serverIds());
          return changed(g, group.id(), group.with(members));
        })
        .onEvent(GroupPinned.class, (g, e) -> changed(g, e.groupId(), g.byId().get(e.groupId()).pinnedTo(e.host())))
        .onEvent(MemberLeft.class, (g, e) -> {
          Group group = g.byId().get(e.groupId());
          List<String> members = new ArrayList<>(group.members());
          members.remove(e.serverId());
          return changed(g, group.id(), group.with(members));
        })
        .build();
  }

  private static Groups changed(Groups g, String id, Group group) {
    Map<String, Group> next = new LinkedHashMap<>(g.byId());
    if (group == null) next.remove(id); else next.put(id, group);
    return new Groups(next);
  }
}
