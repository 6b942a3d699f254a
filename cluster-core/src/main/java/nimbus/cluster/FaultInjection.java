package nimbus.cluster;

import java.io.IOException;
import org.apache.pekko.persistence.typed.EventAdapter;
import org.apache.pekko.persistence.typed.EventSeq;

/**
 * Crash tests pick the step a node dies at: started with the JVM property
 * {@code -Dnimbus.halt-before=Entity.EventName} (an entity type's name and an event's simple class
 * name, e.g. {@code ServerCreation.GroupJoined}), the process kills itself with SIGKILL the
 * first time such an event is about to be written, so the work before it is done and the event
 * is not. Without the property the adapter passes every event through unchanged.
 */
public final class FaultInjection {
  private static final String HALT_BEFORE = System.getProperty("nimbus.halt-before", "");

  private FaultInjection() {}

  /** The event adapter of entity type {@code entityType}: passes events through, or dies at the chosen one. */
  public static <E> EventAdapter<E, E> haltPoints(String entityType) {
    return new EventAdapter<>() {
      @Override
      public E toJournal(E event) {
        if (!HALT_BEFORE.isEmpty() && HALT_BEFORE.equals(entityType + "." + event.getClass().getSimpleName())) {
          die();
        }
        return event;
      }

      @Override
      public String manifest(E event) {
        return "";
      }

      @Override
      public EventSeq<E> fromJournal(E event, String manifest) {
        return EventSeq.single(event);
      }
    };
  }

  private static void die() {
    try {
      new ProcessBuilder("kill", "-KILL", Long.toString(ProcessHandle.current().pid())).start().waitFor();
    } catch (IOException e) {
      // no kill(1): halting skips the shutdown hooks all the same
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Runtime.getRuntime().halt(137);
  }
}
