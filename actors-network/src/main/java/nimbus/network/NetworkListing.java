package nimbus.network;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Predicate;
import nimbus.cluster.ReadSideDatabase;
import nimbus.cluster.ReadSideProjection;
import nimbus.cluster.ReadSideRows;

/**
 * Network, subnet and port lists from the read side ({@link NetworkListProjection}'s tables), as
 * Neutron lists them: what the viewer may see, filtered by attribute (several values of one
 * attribute: any of them), sorted, and a page at a time after a marker, forwards or backwards.
 *
 * <p>Filters and sort keys that are columns run in SQL, and so does the page when nothing else is
 * asked (the usual list). Attributes that are only in a row's JSON (a network's MTU, a subnet's
 * DHCP flag) are compared in Java on the rows SQL found, which are then sorted and paged in Java:
 * Neutron's own "emulated" pagination, over one project's resources.
 */
public final class NetworkListing {

  /** The API's value of attribute {@code key} of {@code item} (a string, boolean, number or null). */
  public interface Attributes<T> {
    Object value(T item, String key);
  }

  /** One key of a list's order. */
  public record Sort(String key, boolean ascending) {}

  /**
   * What a list asks for. {@code viewer} empty: an admin, who sees every project's. {@code filters}
   * maps attributes (Neutron's names) to the values they may have; {@code matches} is what the
   * caller checks beyond equality (tags, addresses), if anything. {@code limit} 0: no paging. {@code reverse}:
   * the page before {@code marker} (Neutron's {@code page_reverse}).
   */
  public record Query<T>(Optional<String> viewer, Map<String, List<Object>> filters, Optional<Predicate<T>> matches,
      Attributes<T> attributes, List<Sort> sort, int limit, Optional<String> marker, boolean reverse) {

    public Query {
      filters = Map.copyOf(filters);
      sort = List.copyOf(sort);
    }
  }

  /** A resource kind's table: its SQL columns by API name, and what a viewer may see of it. */
  private record Table<T>(String name, String tag, String projection, Class<T> type, Map<String, String> columns,
      String visible, int viewerArgs) {}

  private static final Table<Network> NETWORKS = new Table<>("network_list", NetworkEntity.TAG,
      NetworkListProjection.NETWORKS, Network.class, Map.of("id", "id", "name", "name", "project_id", "project_id",
          "tenant_id", "project_id", "shared", "shared", "router:external", "external", "created_at", "created_at"),
      // a project's own, shared ones and external ones (it may route to those)
      "(project_id = ? OR shared OR external)", 1);

  private static final Table<Subnet> SUBNETS = new Table<>("subnet_list", NetworkEntity.TAG,
      NetworkListProjection.NETWORKS, Subnet.class, Map.of("id", "id", "name", "name", "project_id", "project_id",
          "tenant_id", "project_id", "network_id", "network_id", "cidr", "cidr", "ip_version", "ip_version",
          "created_at", "created_at"),
      // its own, and those of shared networks (not of external ones that are not shared, as Neutron)
      "(project_id = ? OR network_id IN (SELECT id FROM network_list WHERE shared))", 1);

  private static final Table<Port> PORTS = new Table<>("port_list", PortEntity.TAG, NetworkListProjection.PORTS,
      Port.class, Map.ofEntries(Map.entry("id", "id"), Map.entry("name", "name"), Map.entry("project_id", "project_id"),
          Map.entry("tenant_id", "project_id"), Map.entry("network_id", "network_id"),
          Map.entry("device_id", "device_id"), Map.entry("device_owner", "device_owner"),
          Map.entry("mac_address", "mac_address"), Map.entry("status", "status"),
          Map.entry("binding:host_id", "host"), Map.entry("created_at", "created_at")),
      // its own, and every port on its networks (Neutron's network owner sees them)
      "(project_id = ? OR network_id IN (SELECT id FROM network_list WHERE project_id = ?))", 2);

  private static final Table<SubnetPool> SUBNET_POOLS = new Table<>("subnetpool_list", SubnetPoolEntity.TAG,
      NetworkListProjection.SUBNET_POOLS, SubnetPool.class, Map.of("id", "id", "name", "name",
          "project_id", "project_id", "tenant_id", "project_id", "shared", "shared", "is_default", "is_default",
          "ip_version", "ip_version", "created_at", "created_at"),
      // its own and shared ones
      "(project_id = ? OR shared)", 1);

  private static final Table<SecurityGroupListProjection.Row> SECURITY_GROUPS = new Table<>("security_group_list",
      SecurityGroupEntity.TAG, SecurityGroupListProjection.NAME, SecurityGroupListProjection.Row.class, Map.of("id", "id",
          "name", "name", "project_id", "project_id", "tenant_id", "project_id", "created_at", "created_at"),
      "project_id = ?", 1);

  private static final Table<SecurityGroupRule> SECURITY_GROUP_RULES = new Table<>("security_group_rule_list",
      SecurityGroupEntity.TAG, SecurityGroupListProjection.NAME, SecurityGroupRule.class, Map.ofEntries(
          Map.entry("id", "id"), Map.entry("security_group_id", "security_group_id"),
          Map.entry("project_id", "project_id"), Map.entry("tenant_id", "project_id"),
          Map.entry("direction", "direction"), Map.entry("ethertype", "ethertype"), Map.entry("protocol", "protocol"),
          Map.entry("remote_group_id", "remote_group_id"), Map.entry("remote_ip_prefix", "remote_ip_prefix"),
          Map.entry("created_at", "created_at")),
      // the rules of its own groups
      "security_group_id IN (SELECT id FROM security_group_list WHERE project_id = ?)", 1);
  private static final Table<RouterState> ROUTERS = new Table<>("router_list", RouterEntity.TAG,
      RouterListProjection.NAME, RouterState.class, Map.of("id", "id", "name", "name", "project_id", "project_id",
          "tenant_id", "project_id", "status", "status", "created_at", "created_at"),
      "project_id = ?", 1);

  private static final Table<FloatingIp> FLOATING_IPS = new Table<>("floatingip_list", FloatingIpEntity.TAG,
      FloatingIpListProjection.NAME, FloatingIp.class, Map.of("id", "id", "project_id", "project_id",
          "tenant_id", "project_id", "floating_network_id", "floating_network_id", "floating_ip_address",
          "floating_ip_address", "status", "status", "port_id", "port_id", "router_id", "router_id",
          "created_at", "created_at"),
      "project_id = ?", 1);

  private static final Duration CATCH_UP_LIMIT = Duration.ofSeconds(2);
  private final ReadSideDatabase database;

  public NetworkListing(ReadSideDatabase database) {
    this.database = database;
  }

  /** A page marker that names nothing the viewer may see; the message is Neutron's ({@code NetworkNotFound: ...}), a 404. */
  public static final class MarkerNotFound extends SQLException {
    public MarkerNotFound(String message) {
      super(message);
    }
  }

  /** Active networks. Blocking JDBC: call it on a blocking dispatcher; sees every change acknowledged before. */
  public List<Network> networks(Query<Network> q) throws SQLException {
    return list(NETWORKS, q, "phase = 'ACTIVE'", "NetworkNotFound: Network %s could not be found.");
  }

  /** Subnets of active networks. Blocking JDBC. */
  public List<Subnet> subnets(Query<Subnet> q) throws SQLException {
    return list(SUBNETS, q, "1 = 1", "SubnetNotFound: Subnet %s could not be found.");
  }

  /** Ports that have their addresses. Blocking JDBC. */
  public List<Port> ports(Query<Port> q) throws SQLException {
    return list(PORTS, q, "phase IN ('READY', 'READDRESSING')", "PortNotFound: Port %s could not be found.");
  }

  /** Subnet pools. Blocking JDBC. */
  public List<SubnetPool> subnetPools(Query<SubnetPool> q) throws SQLException {
    return list(SUBNET_POOLS, q, "1 = 1", "SubnetPoolNotFound: Subnet pool %s could not be found.");
  }

  /** Security groups that exist (a group's row holds its entity's state). Blocking JDBC. */
  public List<SecurityGroup> securityGroups(Query<SecurityGroupListProjection.Row> q) throws SQLException {
    return list(SECURITY_GROUPS, q, "phase = 'Active'", "SecurityGroupNotFound: Security group %s does not exist")
        .stream().map(SecurityGroupListProjection.Row::group).toList();
  }

  /** Rules of security groups that exist. Blocking JDBC. */
  public List<SecurityGroupRule> securityGroupRules(Query<SecurityGroupRule> q) throws SQLException {
    return list(SECURITY_GROUP_RULES, q, "1 = 1", "SecurityGroupRuleNotFound: Security group rule %s does not exist");
  }

  /** The group rule {@code ruleId} belongs to, if it exists. Blocking JDBC. */
  public Optional<String> groupOfRule(String ruleId) throws SQLException {
    try (Connection c = database.connection()) {
      ReadSideProjection.awaitCaughtUp(c, SecurityGroupListProjection.NAME, SecurityGroupEntity.TAG, CATCH_UP_LIMIT);
      return SecurityGroupListProjection.groupOfRule(c, ruleId);
    }
  }

  /** Routers that are usable. Blocking JDBC. */
  public List<RouterState> routers(Query<RouterState> q) throws SQLException {
    return list(ROUTERS, q, "phase = 'ACTIVE'", "RouterNotFound: Router %s could not be found.");
  }

  /** Floating IPs that hold their address. Blocking JDBC. */
  public List<FloatingIp> floatingIps(Query<FloatingIp> q) throws SQLException {
    return list(FLOATING_IPS, q, "phase = 'ACTIVE'", "FloatingIPNotFound: Floating IP %s could not be found.");
  }

  /** How many routers each host carries (hosts with none are absent). Blocking JDBC. */
  public Map<String, Integer> routersPerHost() throws SQLException {
    Map<String, Integer> counts = new TreeMap<>();
    try (Connection c = database.connection();
        PreparedStatement st = c.prepareStatement("SELECT host, COUNT(*) FROM router_list WHERE host IS NOT NULL"
            + " AND phase <> 'GONE' GROUP BY host");
        ResultSet rs = st.executeQuery()) {
      while (rs.next()) counts.put(rs.getString(1), rs.getInt(2));
    }
    return counts;
  }

  /** The network subnet {@code subnetId} belongs to (its entity holds the subnet), if it exists. Blocking JDBC. */
  public Optional<String> networkOfSubnet(String subnetId) throws SQLException {
    try (Connection c = database.connection()) {
      ReadSideProjection.awaitCaughtUp(c, NETWORKS.projection(), NETWORKS.tag(), CATCH_UP_LIMIT);
      try (PreparedStatement st = c.prepareStatement("SELECT network_id FROM subnet_list WHERE id = ?")) {
        st.setString(1, subnetId);
        try (ResultSet rs = st.executeQuery()) {
          return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
        }
      }
    }
  }

  private <T> List<T> list(Table<T> table, Query<T> q, String listed, String markerNotFound) throws SQLException {
    try (Connection c = database.connection()) {
      ReadSideProjection.awaitCaughtUp(c, table.projection(), table.tag(), CATCH_UP_LIMIT);
      Sql where = new Sql(new StringBuilder(listed), new ArrayList<>());
      if (q.viewer().isPresent()) where.and(table.visible(), Collections.nCopies(table.viewerArgs(), q.viewer().get()).toArray());
      Map<String, List<Object>> inJava = new TreeMap<>();
      // sorted: the same query text for the same filters
      new TreeMap<>(q.filters()).forEach((key, values) -> {
        String column = table.columns().get(key);
        // a timestamp is compared as the API writes it (a text the database might not parse)
        if (column == null || column.equals("created_at")) {
          inJava.put(key, values);
        } else if (values.isEmpty()) {
          where.and("1 = 0");
        } else {
          where.and(column + " IN (" + String.join(", ", Collections.nCopies(values.size(), "?")) + ")", values.toArray());
        }
      });
      List<Sort> order = order(q.sort());
      boolean inSql = inJava.isEmpty() && order.stream().allMatch(s -> table.columns().containsKey(s.key()))
          && q.matches().isEmpty();
      if (inSql) return page(c, table, q, where, order, listed, markerNotFound);
      // the rest in Java: Neutron's emulated filtering, sorting and paging
      List<T> rows = select(c, table, where, "id ASC", 0);
      List<T> kept = rows.stream().filter(t -> matches(t, inJava, q.attributes()) && q.matches().map(m -> m.test(t)).orElse(true)).toList();
      List<T> sorted = new ArrayList<>(kept);
      sorted.sort(comparator(order, q.attributes()));
      return emulatedPage(sorted, q, markerNotFound);
    }
  }

  /** The asked order, then by id (Neutron's native pagination adds its primary key): a total order. */
  private static List<Sort> order(List<Sort> asked) {
    List<Sort> order = new ArrayList<>(asked);
    if (order.stream().noneMatch(s -> s.key().equals("id"))) order.add(new Sort("id", true));
    return order;
  }

  /** The page in SQL: rows after (or, reversed, before) the marker in {@code order}, at most {@code limit}. */
  private <T> List<T> page(Connection c, Table<T> table, Query<T> q, Sql where, List<Sort> order, String listed,
      String markerNotFound) throws SQLException {
    boolean reverse = q.reverse() && q.limit() > 0;
    if (q.marker().isPresent() && q.limit() > 0) {
      List<Object> values = markerValues(c, table, q, order, listed, markerNotFound);
      List<String> alternatives = new ArrayList<>();
      List<Object> args = new ArrayList<>();
      for (int i = 0; i < order.size(); i++) {
        StringBuilder alternative = new StringBuilder("(");
        for (int j = 0; j < i; j++) {
          alternative.append(table.columns().get(order.get(j).key())).append(" = ? AND ");
          args.add(values.get(j));
        }
        Sort s = order.get(i);
        boolean after = s.ascending() != reverse;
        alternative.append(table.columns().get(s.key())).append(after ? " > ?)" : " < ?)");
        args.add(values.get(i));
        alternatives.add(alternative.toString());
      }
      where.and("(" + String.join(" OR ", alternatives) + ")", args.toArray());
    }
    String orderBy = String.join(", ", order.stream()
        .map(s -> table.columns().get(s.key()) + (s.ascending() != reverse ? " ASC" : " DESC")).toList());
    List<T> rows = select(c, table, where, orderBy, q.limit());
    if (!reverse) return rows;
    List<T> reversed = new ArrayList<>(rows);
    Collections.reverse(reversed);
    return reversed;
  }

  private <T> List<Object> markerValues(Connection c, Table<T> table, Query<T> q, List<Sort> order, String listed,
      String markerNotFound) throws SQLException {
    String columns = String.join(", ", order.stream().map(s -> table.columns().get(s.key())).toList());
    String visible = q.viewer().isPresent() ? table.visible() : "1 = 1";
    try (PreparedStatement st = c.prepareStatement(
        "SELECT " + columns + " FROM " + table.name() + " WHERE id = ? AND " + listed + " AND " + visible)) {
      st.setString(1, q.marker().get());
      if (q.viewer().isPresent()) for (int i = 0; i < table.viewerArgs(); i++) st.setString(i + 2, q.viewer().get());
      try (ResultSet rs = st.executeQuery()) {
        // a marker the viewer cannot see is as unknown as one that does not exist
        if (!rs.next()) throw new MarkerNotFound(String.format(markerNotFound, q.marker().get()));
        List<Object> values = new ArrayList<>();
        for (int i = 1; i <= order.size(); i++) values.add(rs.getObject(i));
        return values;
      }
    }
  }

  private static <T> List<T> select(Connection c, Table<T> table, Sql where, String orderBy, int limit)
      throws SQLException {
    String sql = "SELECT row_json FROM " + table.name() + " WHERE " + where.text() + " ORDER BY " + orderBy
        + (limit > 0 ? " LIMIT " + limit : "");
    return ReadSideRows.select(c, sql, where.args(), table.type());
  }

  /** Whether every filter holds: the attribute's value is one of those asked (compared as the API writes them). */
  private static <T> boolean matches(T item, Map<String, List<Object>> filters, Attributes<T> attributes) {
    for (var f : filters.entrySet()) {
      String value = text(attributes.value(item, f.getKey()));
      if (f.getValue().stream().noneMatch(v -> text(v).equals(value))) return false;
    }
    return true;
  }

  private static String text(Object value) {
    return value == null ? "null" : value instanceof Boolean b ? b.toString() : value.toString();
  }

  /** Neutron's emulated sort: nulls first, then each key's natural order. */
  private static <T> Comparator<T> comparator(List<Sort> order, Attributes<T> attributes) {
    Comparator<T> all = (a, b) -> 0;
    for (Sort s : order) {
      Comparator<T> one = (a, b) -> compare(attributes.value(a, s.key()), attributes.value(b, s.key()));
      all = all.thenComparing(s.ascending() ? one : one.reversed());
    }
    return all;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static int compare(Object a, Object b) {
    if (Objects.equals(a, b)) return 0;
    if (a == null) return -1;
    if (b == null) return 1;
    if (a instanceof Comparable ca && a.getClass().equals(b.getClass())) return ca.compareTo(b);
    return a.toString().compareTo(b.toString());
  }

  /** Neutron's PaginationEmulatedHelper: the page after the marker, or before it when reversed. */
  private static <T> List<T> emulatedPage(List<T> sorted, Query<T> q, String markerNotFound) throws MarkerNotFound {
    if (q.limit() <= 0) return sorted;
    int i;
    if (q.marker().isPresent()) {
      i = -1;
      for (int k = 0; k < sorted.size(); k++) {
        if (q.marker().get().equals(q.attributes().value(sorted.get(k), "id"))) {
          i = k;
          break;
        }
      }
      if (i < 0) throw new MarkerNotFound(String.format(markerNotFound, q.marker().get()));
    } else {
      i = q.reverse() ? sorted.size() : 0;
    }
    if (q.reverse()) return List.copyOf(sorted.subList(Math.max(i - q.limit(), 0), i));
    int from = q.marker().isPresent() ? i + 1 : i;
    return List.copyOf(sorted.subList(Math.min(from, sorted.size()), Math.min(from + q.limit(), sorted.size())));
  }

  /** SQL over a table's columns and its arguments. */
  private record Sql(StringBuilder text, List<Object> args) {
    Sql and(String condition, Object... values) {
      text.append(" AND ").append(condition);
      args.addAll(List.of(values));
      return this;
    }
  }
}
