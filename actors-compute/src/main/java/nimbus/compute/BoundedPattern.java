package nimbus.compute;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A regular expression a tenant supplies (Nova's {@code name}, {@code ip} and {@code ip6} server
 * list filters), matched with bounded work: Java's engine backtracks, and a pattern such as
 * {@code (a+)+$} or {@code (\d+)*x} takes exponential time on a short string. Each match may read
 * its input at most {@link #STEPS_PER_CHARACTER} times per character (every backtracking step reads
 * it again); a match that needs more fails with {@link TooCostly} instead of holding a thread.
 * Legitimate patterns read an address or a name a few times per character. A deeply nested
 * pattern does much work per read, so the matches of one list also share a {@link Budget} of
 * time: the reads cap a single match, the budget the list.
 */
public final class BoundedPattern {
  /** Longest pattern accepted: an address filter needs far less. */
  public static final int MAX_LENGTH = 255;
  /** Reads of the input one match may make, per character of it (and one more). */
  static final int STEPS_PER_CHARACTER = 1_000;
  /** How long the matches of one list may take together. */
  static final java.time.Duration LIST_TIME = java.time.Duration.ofMillis(500);
  /** Reads between two looks at the clock. */
  private static final int READS_PER_CLOCK = 256;

  private final Pattern pattern;

  private BoundedPattern(Pattern pattern) {
    this.pattern = pattern;
  }

  /** The pattern; {@link IllegalArgumentException} (with the reason) if too long or not a regex. */
  public static BoundedPattern compile(String regex) {
    if (regex.length() > MAX_LENGTH) {
      throw new IllegalArgumentException("longer than " + MAX_LENGTH + " characters");
    }
    try {
      return new BoundedPattern(Pattern.compile(regex));
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException(e.getDescription(), e);
    }
  }

  /** The time the matches of one list share, from now. */
  public static Budget budget() {
    return new Budget(System.nanoTime() + LIST_TIME.toNanos());
  }

  /** Whether the pattern matches {@code text} from its start (Python's {@code re.match}, as Nova). */
  public boolean matchesStart(String text, Budget budget) {
    return pattern.matcher(new Counted(text, budget)).lookingAt();
  }

  /** Whether the pattern matches somewhere in {@code text} (a database's REGEXP, as Nova's name filter). */
  public boolean find(String text, Budget budget) {
    return pattern.matcher(new Counted(text, budget)).find();
  }

  /** A deadline that several matches share. */
  public static final class Budget {
    private final long deadline;

    private Budget(long deadline) {
      this.deadline = deadline;
    }

    private void check(String pattern) {
      if (System.nanoTime() - deadline > 0) throw new TooCostly(pattern);
    }
  }

  @Override
  public String toString() {
    return pattern.pattern();
  }

  /** A match that needed more reads of its input, or a list more time, than allowed. */
  public static final class TooCostly extends RuntimeException {
    TooCostly(String pattern) {
      super("the regular expression '" + pattern + "' takes too long to evaluate");
    }
  }

  /** The input, counting its reads: the engine's work, whatever the pattern. */
  private final class Counted implements CharSequence {
    private final String text;
    private final long maxReads;
    private final Budget time;
    private long reads;

    Counted(String text, Budget time) {
      this.text = text;
      this.maxReads = (long) STEPS_PER_CHARACTER * (text.length() + 1);
      this.time = time;
      time.check(pattern.pattern());
    }

    @Override
    public char charAt(int index) {
      if (++reads > maxReads) throw new TooCostly(pattern.pattern());
      if (reads % READS_PER_CLOCK == 0) time.check(pattern.pattern());
      return text.charAt(index);
    }

    @Override
    public int length() {
      return text.length();
    }

    @Override
    public CharSequence subSequence(int start, int end) {
      return text.subSequence(start, end);
    }

    @Override
    public String toString() {
      return text;
    }
  }
}
