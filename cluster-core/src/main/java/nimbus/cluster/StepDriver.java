package nimbus.cluster;

import java.time.Duration;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.pattern.StatusReply;

/**
 * Carries out the persisted steps of a workflow entity (ARCHITECTURE.md, "The workflow
 * pattern"): a step asked of another entity is asked once at a time, its answer comes back to
 * the entity as a command, and a retry timer ticks exactly while a step is in flight, so an
 * unanswered step is asked again. Steps must be idempotent on the other side: after a crash the
 * entity asks again whatever its last event left undone.
 *
 * @param <C> the entity's command type
 */
public final class StepDriver<C> {
  private static final String TIMER = "step";

  /**
   * A step's answer: the other entity's refusal, or its value ({@code Done} for an
   * acknowledgement); {@code unanswered} when it did not answer in time.
   */
  public record Answer(String step, Optional<Rejection> refusal, Optional<Object> value, boolean unanswered) {
    public boolean accepted() {
      return !unanswered && refusal.isEmpty();
    }

    @SuppressWarnings("unchecked")
    public <T> T valueAs(Class<T> type) {
      return type.cast(value.orElseThrow());
    }
  }

  private final ActorContext<C> context;
  private final TimerScheduler<C> timers;
  private final Duration retry;
  private final C tick;
  private final Function<Answer, C> answered;
  /** Steps asked and not yet answered (in memory: after a crash they are asked again). */
  private final Set<String> asking = new HashSet<>();

  /**
   * {@code tick} is sent to the entity every {@code retry} while a step is in flight; each answer
   * reaches it as {@code answered.apply(answer)}.
   */
  public StepDriver(ActorContext<C> context, TimerScheduler<C> timers, Duration retry, C tick,
      Function<Answer, C> answered) {
    this.context = context;
    this.timers = timers;
    this.retry = retry;
    this.tick = tick;
    this.answered = answered;
  }

  /** Asks for step {@code step} unless it is asked already; the other entity answers with a {@link StatusReply}. */
  @SuppressWarnings("unchecked")
  public void ask(String step, Supplier<? extends CompletionStage<? extends StatusReply<?>>> answer) {
    if (!asking.add(step)) return;
    CompletionStage<StatusReply<?>> reply = (CompletionStage<StatusReply<?>>) answer.get();
    context.pipeToSelf(reply, (r, failure) -> answered.apply(failure != null
        ? new Answer(step, Optional.empty(), Optional.empty(), true)
        : r.isError()
            ? new Answer(step, Optional.of(Rejection.from(r.getError())), Optional.empty(), false)
            : new Answer(step, Optional.empty(), Optional.ofNullable(r.getValue()), false)));
  }

  /**
   * Asks for step {@code step} unless it is asked already, of a gateway that reads the other
   * entity's answer as its refusal, or none when it accepted.
   */
  public void askRefusal(String step, Supplier<? extends CompletionStage<Optional<Rejection>>> answer) {
    if (!asking.add(step)) return;
    context.pipeToSelf(answer.get(), (refusal, failure) -> answered.apply(
        new Answer(step, failure == null ? refusal : Optional.empty(), Optional.empty(), failure != null)));
  }

  /** The step's answer has come: it may be asked again. */
  public void done(Answer answer) {
    done(answer.step());
  }

  /** Step {@code step}'s answer has come: it may be asked again. */
  public void done(String step) {
    asking.remove(step);
  }

  /** Keeps the retry timer running exactly while {@code busy}. */
  public void keepTicking(boolean busy) {
    if (busy && !timers.isTimerActive(TIMER)) {
      timers.startTimerWithFixedDelay(TIMER, tick, retry);
    } else if (!busy) {
      timers.cancel(TIMER);
    }
  }
}
