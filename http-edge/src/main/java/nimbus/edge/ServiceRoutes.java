package nimbus.edge;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/** What every service's routes share: request bodies, and failures in the service's error format. */
public abstract class ServiceRoutes extends AllDirectives {
  private final BiFunction<Integer, String, HttpResponse> errorFormat;

  protected ServiceRoutes(BiFunction<Integer, String, HttpResponse> errorFormat) {
    this.errorFormat = errorFormat;
  }

  /** A read-side query: blocking JDBC. */
  protected interface ReadSideQuery<T> {
    T run() throws java.sql.SQLException;
  }

  /** Runs a read-side query on the blocking executor; a page marker that names no row is a 400. */
  protected static <T> CompletionStage<T> readSide(ReadSideQuery<T> query, java.util.concurrent.Executor blocking) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return query.run();
      } catch (nimbus.cluster.ReadSideRows.MarkerNotFound e) {
        throw ApiError.badRequest(e.getMessage());
      } catch (java.sql.SQLException e) {
        throw new IllegalStateException("read-side query failed", e);
      }
    }, blocking);
  }

  /**
   * The request's query parameters (what lists filter on), refused with a 400 in this service's
   * format when one holds a NUL: no filter has a use for one, and PostgreSQL refuses one in a
   * query's parameter (the read side's query failed, and the list with a 500).
   */
  @Override
  public Route parameterMap(Function<Map<String, String>, Route> inner) {
    return super.parameterMap(query -> query.entrySet().stream()
        .anyMatch(p -> p.getKey().indexOf('\0') >= 0 || p.getValue().indexOf('\0') >= 0)
        ? complete(errorFormat.apply(400, "Invalid query: a parameter holds a NUL character"))
        : inner.apply(query));
  }

  /**
   * The request's query parameters with every value of each, in the order given (a repeated
   * parameter, such as Glance's {@code tag}, is several filters), refused as {@link #parameterMap}.
   */
  protected Route parameterLists(Function<Map<String, java.util.List<String>>, Route> inner) {
    return parameterList(query -> {
      Map<String, java.util.List<String>> lists = new java.util.LinkedHashMap<>();
      for (Map.Entry<String, String> p : query) {
        if (p.getKey().indexOf('\0') >= 0 || p.getValue().indexOf('\0') >= 0) {
          return complete(errorFormat.apply(400, "Invalid query: a parameter holds a NUL character"));
        }
        lists.computeIfAbsent(p.getKey(), k -> new java.util.ArrayList<>()).add(p.getValue());
      }
      return inner.apply(lists);
    });
  }

  /** The request's body as text (one over the size limit or unreadable: the API's handlers answer, in this service's format). */
  protected Route body(Function<String, Route> inner) {
    return entity(Unmarshaller.entityToString(), inner);
  }

  /** Runs a handler; any failure, thrown now or later, becomes the service's error response. */
  protected Route respond(Supplier<CompletionStage<HttpResponse>> handler) {
    CompletionStage<HttpResponse> response;
    try {
      response = handler.get();
    } catch (RuntimeException e) {
      response = CompletableFuture.failedFuture(e);
    }
    return completeWithFuture(response.exceptionally(e -> {
      ApiError error = Failures.toApiError(e);
      return errorFormat.apply(error.status, error.getMessage());
    }));
  }
}
