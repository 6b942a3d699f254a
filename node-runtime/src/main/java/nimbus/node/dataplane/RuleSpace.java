package nimbus.node.dataplane;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Unions of boxes (one closed range per key field) as the disjoint boxes an nftables concatenated
 * interval set holds: the kernel refuses an element whose start or end falls in another, so
 * overlapping rules (a port range inside another, a prefix inside another, a duplicate) are
 * merged here. The result is canonical, one list per union, so two unions are equal exactly when
 * their lists are. Pure.
 */
final class RuleSpace {
  /** A closed range of one field. */
  record Range(BigInteger lo, BigInteger hi) {
    static Range of(long lo, long hi) {
      return new Range(BigInteger.valueOf(lo), BigInteger.valueOf(hi));
    }
  }

  private RuleSpace() {}

  /** The disjoint boxes covering exactly the union of {@code boxes} (all with the same number of fields). */
  static List<List<Range>> disjoint(List<List<Range>> boxes) {
    if (boxes.isEmpty()) return List.of();
    TreeSet<BigInteger> cuts = new TreeSet<>();
    for (List<Range> box : boxes) {
      cuts.add(box.get(0).lo());
      cuts.add(box.get(0).hi().add(BigInteger.ONE));
    }
    List<List<Range>> result = new ArrayList<>();
    Range open = null;
    List<List<Range>> openRest = null;
    BigInteger from = null;
    for (BigInteger cut : cuts) {
      if (from != null) {
        Range segment = new Range(from, cut.subtract(BigInteger.ONE));
        List<List<Range>> rest = crossSection(boxes, segment);
        if (open != null && rest.equals(openRest) && open.hi().add(BigInteger.ONE).equals(segment.lo())) {
          open = new Range(open.lo(), segment.hi());
        } else {
          emit(result, open, openRest);
          open = rest.isEmpty() ? null : segment;
          openRest = rest;
        }
      }
      from = cut;
    }
    emit(result, open, openRest);
    return result;
  }

  /** Whether the union of {@code outer} holds all of {@code inner}'s. */
  static boolean covers(List<List<Range>> outer, List<List<Range>> inner) {
    List<List<Range>> both = new ArrayList<>(outer);
    both.addAll(inner);
    return disjoint(both).equals(disjoint(outer));
  }

  /** The other fields' union over a segment of the first field that no box starts or ends inside. */
  private static List<List<Range>> crossSection(List<List<Range>> boxes, Range segment) {
    List<List<Range>> rest = new ArrayList<>();
    boolean last = boxes.get(0).size() == 1;
    for (List<Range> box : boxes) {
      Range first = box.get(0);
      if (first.lo().compareTo(segment.lo()) <= 0 && first.hi().compareTo(segment.hi()) >= 0) {
        rest.add(last ? List.of() : box.subList(1, box.size()));
      }
    }
    if (last) return rest.isEmpty() ? List.of() : List.of(List.of());
    return disjoint(rest);
  }

  private static void emit(List<List<Range>> result, Range first, List<List<Range>> rest) {
    if (first == null) return;
    for (List<Range> tail : rest) {
      List<Range> box = new ArrayList<>(List.of(first));
      box.addAll(tail);
      result.add(List.copyOf(box));
    }
  }
}
