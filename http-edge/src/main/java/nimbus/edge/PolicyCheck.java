package nimbus.edge;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * One parsed check string, in the part of oslo.policy's syntax the API needs: {@code @} (always),
 * {@code !} (never), {@code rule:NAME}, {@code role:NAME}, {@code is_admin:True} (the cloud's
 * admin), {@code project_id:...} and {@code user_id:...} (the caller's, against a literal or a
 * {@code %(key)s} of the target), Neutron's {@code field:RESOURCE:ATTRIBUTE=VALUE} (the target's
 * attribute, or {@code =~REGEX}), combined with {@code and}, {@code or}, {@code not} and
 * parentheses. An empty string, as in oslo, always passes.
 */
sealed interface PolicyCheck {

  /** Whether the caller passes; {@code rules} resolves {@code rule:NAME}. */
  boolean test(RequestContext ctx, Map<String, String> target, Function<String, PolicyCheck> rules);

  /** Adds the names of the rules this check refers to. */
  default void referencedRules(List<String> into) {}

  record Always() implements PolicyCheck {
    public boolean test(RequestContext ctx, Map<String, String> target, Function<String, PolicyCheck> rules) {
      return true;
    }
  }

  record Never() implements PolicyCheck {
    public boolean test(RequestContext ctx, Map<String, String> target, Function<String, PolicyCheck> rules) {
      return false;
    }
  }

  record Rule(String name) implements PolicyCheck {
    public boolean test(RequestContext ctx, Map<String, String> target, Function<String, PolicyCheck> rules) {
      return rules.apply(name).test(ctx, target, rules);
    }

    @Override
    public void referencedRules(List<String> into) {
      into.add(name);
    }
  }

  /** Roles compare without case, as oslo.policy's do. */
  record Role(String role) implements PolicyCheck {
    public boolean test(RequestContext ctx, Map<String, String> target, Function<String, PolicyCheck> rules) {
      return ctx.roles().stream().anyMatch(role::equalsIgnoreCase);
    }
  }

  record CloudAdmin(boolean expected) implements PolicyCheck {
    public boolean test(RequestContext ctx, Map<String, String> target, Function<String, PolicyCheck> rules) {
      return ctx.isAdmin() == expected;
    }
  }

  /**
   * The caller's project or user against a literal or a target's value; an empty or missing
   * value never matches (an unscoped token has no project to match).
   */
  record Match(String attribute, String value) implements PolicyCheck {
    public boolean test(RequestContext ctx, Map<String, String> target, Function<String, PolicyCheck> rules) {
      String mine = attribute.equals("project_id") ? ctx.projectId() : ctx.userId();
      String wanted = value.startsWith("%(") && value.endsWith(")s")
          ? target.get(value.substring(2, value.length() - 2)) : value;
      return mine != null && !mine.isEmpty() && mine.equals(wanted);
    }
  }

  /**
   * Neutron's field check: the target's {@code attribute} (as the routes put it in the target, e.g.
   * {@code shared} as "True" or "False") is {@code value} (case ignored, as Neutron converts), or
   * matches it as a regular expression when written {@code =~REGEX}.
   */
  record Field(String attribute, String value) implements PolicyCheck {
    public boolean test(RequestContext ctx, Map<String, String> target, Function<String, PolicyCheck> rules) {
      String actual = target.get(attribute);
      if (actual == null) return false;
      return value.startsWith("~") ? java.util.regex.Pattern.compile(value.substring(1)).matcher(actual).find()
          : value.equalsIgnoreCase(actual);
    }
  }

  record Not(PolicyCheck check) implements PolicyCheck {
    public boolean test(RequestContext ctx, Map<String, String> target, Function<String, PolicyCheck> rules) {
      return !check.test(ctx, target, rules);
    }

    @Override
    public void referencedRules(List<String> into) {
      check.referencedRules(into);
    }
  }

  record And(List<PolicyCheck> all) implements PolicyCheck {
    public boolean test(RequestContext ctx, Map<String, String> target, Function<String, PolicyCheck> rules) {
      return all.stream().allMatch(c -> c.test(ctx, target, rules));
    }

    @Override
    public void referencedRules(List<String> into) {
      all.forEach(c -> c.referencedRules(into));
    }
  }

  record Or(List<PolicyCheck> any) implements PolicyCheck {
    public boolean test(RequestContext ctx, Map<String, String> target, Function<String, PolicyCheck> rules) {
      return any.stream().anyMatch(c -> c.test(ctx, target, rules));
    }

    @Override
    public void referencedRules(List<String> into) {
      any.forEach(c -> c.referencedRules(into));
    }
  }

  /** Parses a check string; one that does not parse throws {@link IllegalArgumentException} saying why. */
  static PolicyCheck parse(String text) {
    return new Parser(text).parse();
  }

  /** A recursive descent over oslo's grammar: or of ands of (not) atoms or parenthesised checks. */
  final class Parser {
    private static final Set<String> ATTRIBUTES = Set.of("rule", "role", "is_admin", "project_id", "user_id", "field");
    private final List<String> tokens;
    private int next;

    Parser(String text) {
      this.tokens = tokenize(text);
    }

    /**
     * Words split at white space, with the parentheses that open or close a word split off, as
     * oslo does (those inside {@code %(project_id)s} stay: it ends with s).
     */
    private static List<String> tokenize(String text) {
      List<String> out = new ArrayList<>();
      for (String word : text.trim().split("\\s+")) {
        if (word.isEmpty()) continue;
        int start = 0;
        int end = word.length();
        while (start < end && word.charAt(start) == '(') {
          out.add("(");
          start++;
        }
        int closing = 0;
        while (end > start && word.charAt(end - 1) == ')') {
          end--;
          closing++;
        }
        if (start < end) out.add(word.substring(start, end));
        for (int i = 0; i < closing; i++) out.add(")");
      }
      return out;
    }

    PolicyCheck parse() {
      if (tokens.isEmpty()) return new Always();
      PolicyCheck check = or();
      if (next < tokens.size()) throw new IllegalArgumentException("unexpected '" + tokens.get(next) + "'");
      return check;
    }

    private PolicyCheck or() {
      List<PolicyCheck> any = new ArrayList<>(List.of(and()));
      while (accept("or")) any.add(and());
      return any.size() == 1 ? any.get(0) : new Or(List.copyOf(any));
    }

    private PolicyCheck and() {
      List<PolicyCheck> all = new ArrayList<>(List.of(not()));
      while (accept("and")) all.add(not());
      return all.size() == 1 ? all.get(0) : new And(List.copyOf(all));
    }

    private PolicyCheck not() {
      return accept("not") ? new Not(not()) : primary();
    }

    private PolicyCheck primary() {
      if (next >= tokens.size()) throw new IllegalArgumentException("a check is missing at the end");
      String token = tokens.get(next++);
      if (token.equals("(")) {
        PolicyCheck inner = or();
        if (!accept(")")) throw new IllegalArgumentException("a '(' is not closed");
        return inner;
      }
      return atom(token);
    }

    private static PolicyCheck atom(String token) {
      if (token.equals("@")) return new Always();
      if (token.equals("!")) return new Never();
      int colon = token.indexOf(':');
      if (colon <= 0 || colon == token.length() - 1) {
        throw new IllegalArgumentException("'" + token + "' is not a check (KIND:VALUE, @ or !)");
      }
      String kind = token.substring(0, colon);
      String value = token.substring(colon + 1);
      if (!ATTRIBUTES.contains(kind)) {
        throw new IllegalArgumentException("'" + kind + "' is not a check this API knows (one of " + ATTRIBUTES + ")");
      }
      return switch (kind) {
        case "rule" -> new Rule(value);
        case "field" -> field(value);
        case "role" -> new Role(value);
        case "is_admin" -> {
          if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
            throw new IllegalArgumentException("is_admin is True or False, not '" + value + "'");
          }
          yield new CloudAdmin(Boolean.parseBoolean(value.toLowerCase()));
        }
        default -> {
          if (value.startsWith("%(") != value.endsWith(")s") || value.startsWith("%(") && value.length() <= 4) {
            throw new IllegalArgumentException("'" + value + "' is neither a literal nor %(key)s");
          }
          yield new Match(kind, value);
        }
      };
    }

    /** {@code RESOURCE:ATTRIBUTE=VALUE}; the attribute may hold colons ({@code networks:router:external=True}). */
    private static PolicyCheck field(String text) {
      int colon = text.indexOf(':');
      int equals = text.indexOf('=');
      if (colon <= 0 || equals <= colon + 1 || equals == text.length() - 1) {
        throw new IllegalArgumentException("'field:" + text + "' is not RESOURCE:ATTRIBUTE=VALUE");
      }
      return new Field(text.substring(colon + 1, equals), text.substring(equals + 1));
    }

    private boolean accept(String word) {
      if (next < tokens.size() && tokens.get(next).equals(word)) {
        next++;
        return true;
      }
      return false;
    }
  }
}
