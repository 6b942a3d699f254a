package nimbus.edge;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import nimbus.config.SettingsException;

/**
 * Who may do what: one table of rules named as OpenStack names them
 * ({@code os_compute_api:servers:create}, {@code publicize_image}, {@code identity:list_users}),
 * each a check string in oslo.policy's syntax (see {@link PolicyCheck}). The defaults are
 * {@link PolicyDefaults}; an operator's policy file ({@code nimbus.api.policy-file}) replaces
 * some of them. A denial is one error, a 403 the routes answer in their service's format.
 */
public final class Policy {
  private static final String SETTING = "nimbus.api.policy-file";
  private final Map<String, PolicyCheck> rules;

  private Policy(Map<String, PolicyCheck> rules) {
    this.rules = Map.copyOf(rules);
  }

  /** The default rules. */
  public static Policy defaults() {
    return of(Map.of());
  }

  /** The defaults with the file's rules in their place; a bad file stops start-up. */
  public static Policy load(Optional<Path> file) {
    return file.isEmpty() ? defaults() : of(read(file.get()));
  }

  /**
   * The defaults with {@code overrides} in their place. Every name must be a default's, every
   * check must parse, and every {@code rule:NAME} must name a rule without going round in a circle.
   */
  static Policy of(Map<String, String> overrides) {
    Map<String, String> texts = new LinkedHashMap<>(PolicyDefaults.rules());
    for (var o : overrides.entrySet()) {
      if (!texts.containsKey(o.getKey())) {
        throw new SettingsException(SETTING, "'" + o.getKey() + "' is not a rule of this API",
            "use the names of the defaults (README, \"The policy file\")");
      }
      texts.put(o.getKey(), o.getValue());
    }
    Map<String, PolicyCheck> parsed = new HashMap<>();
    for (var t : texts.entrySet()) {
      try {
        parsed.put(t.getKey(), PolicyCheck.parse(t.getValue()));
      } catch (IllegalArgumentException e) {
        throw new SettingsException(SETTING, "rule '" + t.getKey() + "': " + e.getMessage() + " in \"" + t.getValue()
            + "\"", "write it as oslo.policy does (role:X, rule:NAME, @, !, and, or, not, parentheses)");
      }
    }
    for (String name : parsed.keySet()) checkReferences(name, parsed, new HashSet<>());
    return new Policy(parsed);
  }

  private static void checkReferences(String name, Map<String, PolicyCheck> parsed, Set<String> path) {
    if (!path.add(name)) {
      throw new SettingsException(SETTING, "rule '" + name + "' refers back to itself through " + path,
          "break the circle");
    }
    List<String> referenced = new ArrayList<>();
    parsed.get(name).referencedRules(referenced);
    for (String r : referenced) {
      if (!parsed.containsKey(r)) {
        throw new SettingsException(SETTING, "rule '" + name + "' refers to 'rule:" + r + "', which does not exist",
            "refer to one of the rules");
      }
      checkReferences(r, parsed, path);
    }
    path.remove(name);
  }

  /** A file of names to check strings: JSON, or HOCON (which reads a policy.yaml of quoted pairs). */
  private static Map<String, String> read(Path file) {
    Config config;
    try {
      ConfigSyntax syntax = file.toString().endsWith(".json") ? ConfigSyntax.JSON : ConfigSyntax.CONF;
      config = ConfigFactory.parseFile(file.toFile(),
          ConfigParseOptions.defaults().setSyntax(syntax).setAllowMissing(false));
    } catch (ConfigException e) {
      throw new SettingsException(SETTING, e.getMessage().lines().findFirst().orElse("unreadable"),
          "fix the file's syntax: a mapping of rule names to check strings");
    }
    Map<String, String> rules = new LinkedHashMap<>();
    // the root's keys as written: a rule name is not a path (no splitting at dots)
    for (Map.Entry<String, ConfigValue> e : config.root().entrySet()) {
      if (e.getValue().valueType() != ConfigValueType.STRING) {
        throw new SettingsException(SETTING, "rule '" + e.getKey() + "' is not a string", "give a check string");
      }
      rules.put(e.getKey(), (String) e.getValue().unwrapped());
    }
    return rules;
  }

  /** Refuses the request (403) unless the caller passes {@code rule} on its own project. */
  public void enforce(RequestContext ctx, String rule) {
    enforce(ctx, rule, Map.of());
  }

  /** Refuses the request (403) unless the caller passes {@code rule} on {@code target}. */
  public void enforce(RequestContext ctx, String rule, Map<String, String> target) {
    if (!allows(ctx, rule, target)) throw denied(rule);
  }

  /** Whether the caller passes {@code rule} on its own project (for what is shown, not refused). */
  public boolean allows(RequestContext ctx, String rule) {
    return allows(ctx, rule, Map.of());
  }

  /**
   * Whether the caller passes {@code rule}; {@code target} holds what {@code %(key)s} reads
   * (its {@code project_id} and {@code user_id} are the caller's unless given).
   */
  public boolean allows(RequestContext ctx, String rule, Map<String, String> target) {
    Map<String, String> full = new HashMap<>();
    full.put("project_id", ctx.projectId());
    full.put("user_id", ctx.userId());
    full.putAll(target);
    return check(rule).test(ctx, full, this::check);
  }

  /** Whether the table has {@code rule} (Neutron checks an attribute's rule only where one is defined). */
  public boolean knows(String rule) {
    return rules.containsKey(rule);
  }

  private PolicyCheck check(String rule) {
    PolicyCheck c = rules.get(rule);
    // a rule the code names but the table lacks is a bug here, never the caller's
    if (c == null) throw new IllegalStateException("no policy rule " + rule);
    return c;
  }

  /** The one denial: Nova's words, naming the rule. */
  public static ApiError denied(String rule) {
    return new ApiError(403, "Policy doesn't allow " + rule + " to be performed.");
  }
}
