package nimbus.network;

import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import nimbus.cluster.CborSerializable;
import nimbus.cluster.Rejection;

/**
 * A Neutron subnet pool: prefixes that subnets take their CIDRs from, and the CIDRs taken (by
 * subnet). Kept by its {@link SubnetPoolEntity}, the single writer of its allocations, so no two
 * subnets ever get overlapping CIDRs of one pool. {@link #after} is the one state function, for the
 * entity and the read side.
 */
public record SubnetPool(String id, String projectId, String name, String description, int ipVersion,
    List<String> prefixes, int defaultPrefixlen, int minPrefixlen, int maxPrefixlen, boolean shared,
    boolean isDefault, Optional<Integer> defaultQuota, List<String> tags, Map<String, String> allocations,
    boolean deleted, Instant createdAt, Instant updatedAt, int revisionNumber) implements CborSerializable {

  /** What an update may change; empty fields are left as they are. */
  public record Changes(Optional<String> name, Optional<String> description, Optional<List<String>> prefixes,
      Optional<Integer> defaultPrefixlen, Optional<Integer> minPrefixlen, Optional<Integer> maxPrefixlen,
      Optional<Boolean> isDefault, Optional<Integer> defaultQuota, boolean defaultQuotaCleared,
      Optional<List<String>> tags) implements CborSerializable {}

  /** A refusal in Neutron's words (its exception name, see {@link NetworkRefusal}). */
  public static final class Refused extends RuntimeException {
    public final Rejection rejection;

    Refused(Rejection.Kind kind, String type, String message) {
      super(type + ": " + message, null, false, false);
      this.rejection = NetworkRefusal.rejection(kind, type, message);
    }
  }

  /** The smallest prefix length Neutron gives a pool by default (IPv4 /8, IPv6 /64). */
  public static int defaultMinPrefixlen(int ipVersion) {
    return ipVersion == 4 ? 8 : 64;
  }

  /**
   * A new pool, checked as Neutron checks one: prefixes of one IP version, each a valid CIDR;
   * {@code min <= default <= max <= bits}. Throws {@link Refused}.
   */
  public static SubnetPool checked(String id, String projectId, String name, String description, List<String> prefixes,
      Optional<Integer> defaultPrefixlen, Optional<Integer> minPrefixlen, Optional<Integer> maxPrefixlen,
      boolean shared, boolean isDefault, Optional<Integer> defaultQuota, Instant at) {
    List<IpNet> nets = parsed(prefixes);
    int version = nets.get(0).version();
    int min = minPrefixlen.orElse(defaultMinPrefixlen(version));
    int max = maxPrefixlen.orElse(nets.get(0).bits());
    int dflt = defaultPrefixlen.orElse(min);
    bounds(version, min, max, dflt);
    return new SubnetPool(id, projectId, name, description, version, compact(nets), dflt, min, max, shared, isDefault,
        defaultQuota, List.of(), Map.of(), false, at, at, 0);
  }

  /** This pool as {@code c} changes it; prefixes may only grow (Neutron's rule). Throws {@link Refused}. */
  public SubnetPool changed(Changes c, Instant at) {
    List<String> nextPrefixes = prefixes;
    if (c.prefixes().isPresent()) {
      List<IpNet> nets = parsed(c.prefixes().get());
      if (nets.get(0).version() != ipVersion) {
        throw new Refused(Rejection.Kind.INVALID, "PrefixVersionMismatch",
            "Cannot mix IPv4 and IPv6 prefixes in a subnet pool.");
      }
      for (String old : prefixes) {
        IpNet o = IpNet.parse(old);
        if (nets.stream().noneMatch(n -> covers(n, o))) {
          throw new Refused(Rejection.Kind.INVALID, "IllegalSubnetPoolPrefixUpdate",
              "Illegal update to prefixes: Existing prefixes must be a subset of the new prefixes.");
        }
      }
      nextPrefixes = compact(nets);
    }
    int min = c.minPrefixlen().orElse(minPrefixlen);
    int max = c.maxPrefixlen().orElse(maxPrefixlen);
    int dflt = c.defaultPrefixlen().orElse(defaultPrefixlen);
    bounds(ipVersion, min, max, dflt);
    return new SubnetPool(id, projectId, c.name().orElse(name), c.description().orElse(description), ipVersion,
        nextPrefixes, dflt, min, max, shared, c.isDefault().orElse(isDefault),
        c.defaultQuotaCleared() ? Optional.empty() : c.defaultQuota().or(() -> defaultQuota),
        c.tags().orElse(tags), allocations, deleted, createdAt, at, revisionNumber + 1);
  }

  /**
   * The CIDR subnet {@code subnetId} gets: {@code wanted} if it lies in a prefix and overlaps no
   * other allocation, else the lowest free block of {@code prefixlen} (the pool's default if
   * empty). The same again for a subnet that has one. Throws {@link Refused}.
   */
  public String allocate(String subnetId, Optional<String> wanted, Optional<Integer> prefixlen) {
    String held = allocations.get(subnetId);
    if (held != null) return held;
    if (wanted.isPresent()) {
      IpNet net = IpNet.parse(wanted.get());
      checkLength(net.prefix());
      boolean inside = prefixes.stream().map(IpNet::parse).anyMatch(p -> covers(p, net));
      boolean free = allocations.values().stream().map(IpNet::parse).noneMatch(a -> a.overlaps(net));
      if (!inside || !free) {
        throw new Refused(Rejection.Kind.CONFLICT, "SubnetAllocationError",
            "Failed to allocate subnet: Cannot allocate requested subnet from the available set of prefixes.");
      }
      return net.toString();
    }
    int length = prefixlen.orElse(defaultPrefixlen);
    checkLength(length);
    List<IpNet> taken = allocations.values().stream().map(IpNet::parse).toList();
    for (String p : prefixes) {
      IpNet prefix = IpNet.parse(p);
      if (prefix.prefix() > length) continue;
      BigInteger size = BigInteger.ONE.shiftLeft(prefix.bits() - length);
      BigInteger candidate = prefix.network();
      while (candidate.compareTo(prefix.last()) <= 0) {
        IpNet block = new IpNet(ipVersion, candidate, length);
        Optional<IpNet> clash = taken.stream().filter(t -> t.overlaps(block)).findFirst();
        if (clash.isEmpty()) return block.toString();
        // past the clash, then up to the next block boundary
        BigInteger after = clash.get().last().add(BigInteger.ONE).max(candidate.add(size));
        candidate = after.add(size).subtract(BigInteger.ONE).divide(size).multiply(size);
      }
    }
    throw new Refused(Rejection.Kind.CONFLICT, "SubnetAllocationError",
        "Failed to allocate subnet: Insufficient prefix space to allocate subnet size /" + length + ".");
  }

  private void checkLength(int length) {
    if (length < minPrefixlen) {
      throw new Refused(Rejection.Kind.INVALID, "MinPrefixSubnetAllocationError", "Unable to allocate subnet with "
          + "prefix length " + length + ", minimum allowed prefix is " + minPrefixlen + ".");
    }
    if (length > maxPrefixlen) {
      throw new Refused(Rejection.Kind.INVALID, "MaxPrefixSubnetAllocationError", "Unable to allocate subnet with "
          + "prefix length " + length + ", maximum allowed prefix is " + maxPrefixlen + ".");
    }
  }

  public SubnetPool after(SubnetPoolEntity.Event event) {
    if (event instanceof SubnetPoolEntity.PoolCreated e) return e.pool();
    if (event instanceof SubnetPoolEntity.PoolUpdated e) return e.pool();
    if (event instanceof SubnetPoolEntity.PoolDeleted e) {
      return new SubnetPool(id, projectId, name, description, ipVersion, prefixes, defaultPrefixlen, minPrefixlen,
          maxPrefixlen, shared, isDefault, defaultQuota, tags, allocations, true, createdAt, e.at(), revisionNumber + 1);
    }
    Map<String, String> next = new LinkedHashMap<>(allocations);
    if (event instanceof SubnetPoolEntity.CidrAllocated e) {
      next.put(e.subnetId(), e.cidr());
    } else if (event instanceof SubnetPoolEntity.CidrReleased e) {
      next.remove(e.subnetId());
    } else {
      throw new IllegalArgumentException("unknown event " + event);
    }
    // allocations are not part of the pool's view: no new revision
    return new SubnetPool(id, projectId, name, description, ipVersion, prefixes, defaultPrefixlen, minPrefixlen,
        maxPrefixlen, shared, isDefault, defaultQuota, tags, Map.copyOf(next), deleted, createdAt, updatedAt,
        revisionNumber);
  }

  /** Whether {@code outer} holds all of {@code inner}. */
  private static boolean covers(IpNet outer, IpNet inner) {
    return outer.version() == inner.version() && outer.prefix() <= inner.prefix()
        && outer.network().compareTo(inner.network()) <= 0 && outer.last().compareTo(inner.last()) >= 0;
  }

  private static List<IpNet> parsed(List<String> prefixes) {
    if (prefixes.isEmpty()) throw new Refused(Rejection.Kind.INVALID, "EmptySubnetPoolPrefixList",
        "Empty subnet pool prefix list.");
    List<IpNet> nets = new ArrayList<>();
    for (String p : prefixes) {
      try {
        nets.add(IpNet.parse(p));
      } catch (IllegalArgumentException e) {
        throw new Refused(Rejection.Kind.INVALID, "HTTPBadRequest",
            "Invalid input for prefixes. Reason: '" + p + "' is not a valid IP subnet.");
      }
    }
    if (nets.stream().map(IpNet::version).distinct().count() > 1) {
      throw new Refused(Rejection.Kind.INVALID, "PrefixVersionMismatch",
          "Cannot mix IPv4 and IPv6 prefixes in a subnet pool.");
    }
    return nets;
  }

  /** The prefixes without those another one holds, in address order (as Neutron compacts them). */
  private static List<String> compact(List<IpNet> nets) {
    return nets.stream().distinct()
        .filter(n -> nets.stream().noneMatch(o -> !o.equals(n) && covers(o, n)))
        .sorted((a, b) -> a.network().compareTo(b.network()))
        .map(IpNet::toString).toList();
  }

  private static void bounds(int version, int min, int max, int dflt) {
    int bits = version == 4 ? 32 : 128;
    if (min < 0) throw new Refused(Rejection.Kind.INVALID, "UnsupportedMinSubnetPoolPrefix",
        "Prefix '" + min + "' not supported in IPv" + version + " pool.");
    if (max > bits) throw illegalBounds("max_prefixlen", max, "ip_version_max", bits);
    if (min > max) throw illegalBounds("min_prefixlen", min, "max_prefixlen", max);
    if (dflt < min) throw illegalBounds("default_prefixlen", dflt, "min_prefixlen", min);
    if (dflt > max) throw illegalBounds("default_prefixlen", dflt, "max_prefixlen", max);
  }

  private static Refused illegalBounds(String type, int length, String baseType, int base) {
    return new Refused(Rejection.Kind.INVALID, "IllegalSubnetPoolPrefixBounds",
        "Illegal prefix bounds: " + type + "=" + length + ", " + baseType + "=" + base + ".");
  }
}
