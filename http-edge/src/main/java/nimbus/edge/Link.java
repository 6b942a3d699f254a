package nimbus.edge;

/** A link in OpenStack's views: its relation ({@code self}, {@code bookmark}, {@code next}) and address. */
public record Link(String rel, String href) {
  public static Link self(String href) {
    return new Link("self", href);
  }

  public static Link bookmark(String href) {
    return new Link("bookmark", href);
  }
}
