package nimbus.compute;

import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import nimbus.cluster.Rejection;
import org.apache.pekko.pattern.StatusReply;

/** Answers of other entities to a workflow's steps, as the workflow reads them. */
final class Answers {
  private Answers() {}

  /** The entity's refusal as a value; any other failure (no answer in time) stays a failure. */
  static CompletionStage<Optional<Rejection>> refusalOf(CompletionStage<?> answer) {
    return answer.handle((ok, failure) -> {
      Throwable t = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
      if (t == null) return Optional.<Rejection>empty();
      if (t instanceof StatusReply.ErrorMessage) return Optional.of(Rejection.from(t));
      throw new CompletionException(t);
    });
  }

  /** A {@link StatusReply} answer (a claim) as a refusal value. */
  static <T> CompletionStage<Optional<Rejection>> refusalOfReply(CompletionStage<StatusReply<T>> answer) {
    return answer.thenApply(reply -> reply.isError() ? Optional.of(Rejection.from(reply.getError())) : Optional.empty());
  }
}
