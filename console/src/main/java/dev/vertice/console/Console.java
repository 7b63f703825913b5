package dev.vertice.console;

import dev.vertice.canary.Rollout;
import dev.vertice.canary.RolloutStateException;
import dev.vertice.common.JsonStrings;
import dev.vertice.common.Threads;
import dev.vertice.controlplane.ControlPlane;
import dev.vertice.controlplane.canary.NotLeaderException;
import dev.vertice.controlplane.canary.RolloutNotFoundException;
import dev.vertice.observability.AdminServer;
import dev.vertice.observability.http.HttpHandler;
import dev.vertice.observability.http.Request;
import dev.vertice.observability.http.Response;
import dev.vertice.security.auth.AuthenticationException;
import dev.vertice.security.auth.Identity;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.logging.Logger;

/**
 * {@code Console} is the control plane's web console: pages under {@code /ui/} (plain HTML, CSS and
 * JavaScript from this jar), their JSON API under {@code /ui/api/}, and the server-sent events that
 * keep them live ({@code /ui/api/events}, see {@link ConsoleEvents}). {@link #install} adds it to
 * the admin port, whose HTTP hardening (limits on connections, headers, bodies, time) applies.
 *
 * <p>Security. The pages themselves hold no data and no secret. Every API call is authenticated
 * with the gRPC API's rules when an {@link Authenticator} is given ({@code --auth on}): a client
 * certificate (admin port on TLS) or an {@code Authorization: Bearer} token, else 401; reading
 * needs the admin or gateway role (a service identity sees only its own service over gRPC, so it
 * sees nothing here: 403); actions need the admin role (403). Without an authenticator (auth off)
 * every caller reads, and acts unless the console is {@link ConsoleConfig.Mode#READ_ONLY}. Actions
 * are POSTs that must carry {@value #CSRF_HEADER}{@code : 1} (a header no cross-site form can send,
 * and that a cross-origin script may send only after a CORS preflight this server never grants)
 * and, when the browser sends them, an {@code Origin} equal to the port's own and a same-origin
 * {@code Sec-Fetch-Site}. Errors are JSON {@code {"error":...,"message":...}} with the HTTP status.
 */
public final class Console implements AutoCloseable {

  /** The path prefix of the console. */
  public static final String PREFIX = "/ui/";
  /** The header every action must carry with value {@code 1} (CSRF protection). */
  public static final String CSRF_HEADER = "X-Vertice-Console";

  private static final Logger log = Logger.getLogger("vertice.console");
  private static final String API = PREFIX + "api/";
  private static final Map<String, String> ASSETS = Map.of(
      "", "index.html", "index.html", "index.html", "console.js", "console.js", "console.css", "console.css");
  private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
      + " img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

  /**
   * {@code Authenticator} identifies the caller of a console request as the gRPC API would ({@code
   * AuthInterceptor#authenticateHttp}).
   */
  @FunctionalInterface
  public interface Authenticator {
    /**
     * Returns the caller's identity.
     *
     * @throws AuthenticationException when the request proves none
     */
    Identity authenticate(Request request) throws AuthenticationException;
  }

  private record Caller(String who, boolean mayRead, boolean admin) {}

  private final ControlPlane cp;
  private final ConsoleConfig config;
  private final Authenticator authenticator;
  private final Executor executor;
  private final ScheduledExecutorService scheduler;
  private final ConsoleEvents events;
  private final ConsoleJson json;
  private final Map<String, byte[]> assets;

  private Console(Builder b) {
    this.cp = b.cp;
    this.config = b.config;
    this.authenticator = b.authenticator;
    this.executor = b.executor;
    this.scheduler = Executors.newSingleThreadScheduledExecutor(Threads.daemon("vertice-console"));
    this.events = new ConsoleEvents(config, scheduler, cp.wallClock());
    this.json = new ConsoleJson(cp, events, b.convergence);
    this.assets = Map.of("index.html", asset("index.html"), "console.js", asset("console.js"),
        "console.css", asset("console.css"));
    cp.registry().addListener(events);
    cp.canary().addStoreListener(events);
  }

  /** {@code builder} starts a console over {@code controlPlane}. */
  public static Builder builder(ControlPlane controlPlane) {
    return new Builder(controlPlane);
  }

  /**
   * {@code install} serves the console on {@code admin} under {@code /ui/} (nothing when the mode is
   * off), its API calls running on the admin port's route threads.
   */
  public Console install(AdminServer admin) {
    if (config.mode() != ConsoleConfig.Mode.OFF) {
      admin.handler("/ui", this::handle).handler(PREFIX, this::handle);
    }
    return this;
  }

  /** {@code events} returns the live-page hub (for tests and diagnostics). */
  public ConsoleEvents events() {
    return events;
  }

  /** {@code config} returns the settings. */
  public ConsoleConfig config() {
    return config;
  }

  /** {@code handle} answers one request under {@code /ui}; called on the event loop, never blocks. */
  public CompletionStage<Response> handle(Request r) {
    String path = r.path();
    if (config.mode() == ConsoleConfig.Mode.OFF) {
      return done(error(404, "not found", "the console is off (--console off)"));
    }
    if (path.equals("/ui")) {
      return done(secured(Response.of(308, "text/plain", "").withHeader("Location", PREFIX)));
    }
    if (path.startsWith(API)) {
      try {
        return CompletableFuture.supplyAsync(() -> secured(api(r)), executor);
      } catch (RejectedExecutionException e) {
        return done(error(503, "busy", "the admin port is busy; retry"));
      }
    }
    String name = ASSETS.get(path.substring(PREFIX.length()));
    if (name == null) {
      return done(error(404, "not found", "no console page at " + path));
    }
    if (!r.method().equals("GET") && !r.method().equals("HEAD")) {
      return done(error(405, "method not allowed", r.method() + " " + path).withHeader("Allow", "GET, HEAD"));
    }
    return done(secured(Response.of(200, contentType(name), assets.get(name))));
  }

  private Response api(Request r) {
    Caller caller;
    try {
      caller = caller(r);
    } catch (AuthenticationException e) {
      return error(401, "unauthenticated", e.getMessage()).withHeader("WWW-Authenticate", "Bearer realm=\"vertice\"");
    }
    if (!caller.mayRead()) {
      return error(403, "forbidden", caller.who() + " may not read the console: the admin or gateway role is required");
    }
    String rest = r.path().substring(API.length());
    String[] parts = rest.split("/", -1);
    boolean post = r.method().equals("POST");
    if (post) {
      if (parts.length == 3 && parts[0].equals("rollouts")) {
        return action(r, caller, parts[1], parts[2]);
      }
      return error(405, "method not allowed", "POST is for rollout actions only").withHeader("Allow", "GET, HEAD");
    }
    if (!r.method().equals("GET") && !r.method().equals("HEAD")) {
      return error(405, "method not allowed", r.method() + " " + r.path()).withHeader("Allow", "GET, HEAD");
    }
    try {
      return switch (parts[0]) {
        case "whoami" -> ok("{\"who\":" + JsonStrings.quote(caller.who()) + ",\"admin\":" + caller.admin()
            + ",\"actions\":" + (caller.admin() && config.mode() == ConsoleConfig.Mode.ON) + ",\"mode\":"
            + JsonStrings.quote(config.mode().name().toLowerCase(Locale.ROOT).replace('_', '-')) + ",\"auth\":"
            + (authenticator != null) + "}");
        case "events" -> parts.length == 1 ? eventStream() : notFound(r);
        case "services" -> parts.length == 1 ? ok(json.services())
            : parts.length == 2 ? found(json.service(parts[1]), "no service " + parts[1]) : notFound(r);
        case "rollouts" -> parts.length == 1 ? ok(json.rollouts())
            : parts.length == 2 ? found(cp.canary().get(parts[1]).map(json::rollout).orElse(null),
                "no rollout " + parts[1]) : notFound(r);
        case "nodes" -> parts.length == 1 ? ok(json.nodes()) : notFound(r);
        case "push" -> parts.length == 1 ? ok(json.push()) : notFound(r);
        default -> notFound(r);
      };
    } catch (RuntimeException e) {
      log.warning("console " + r.path() + " failed: " + e);
      return error(503, "unavailable", "the control plane could not answer (is the store reachable?)");
    }
  }

  private Response eventStream() {
    if (events.full()) {
      return error(503, "too many live pages", "at most " + config.maxEventStreams()
          + " console pages may stream events at once (--console-max-live-pages)");
    }
    return Response.stream(200, "text/event-stream; charset=utf-8", config.eventBufferBytes(), s -> {
      if (!events.tryAdd(s)) {
        s.close();
      }
    }).withHeader("Cache-Control", "no-store").withHeader("X-Accel-Buffering", "no");
  }

  private Response action(Request r, Caller caller, String id, String action) {
    if (config.mode() != ConsoleConfig.Mode.ON) {
      return error(403, "read-only", "the console is read-only (--console read-only)");
    }
    if (!caller.admin()) {
      return error(403, "forbidden", caller.who() + " may not " + action + " rollouts: the admin role is required");
    }
    String csrf = csrfProblem(r);
    if (csrf != null) {
      return error(403, "csrf", csrf);
    }
    try {
      Rollout after = switch (action) {
        case "promote" -> cp.canary().promote(id, false);
        case "pause" -> cp.canary().pause(id);
        case "resume" -> cp.canary().resume(id);
        case "rollback" -> cp.canary().rollback(id, "rolled back from the console by " + caller.who());
        case "abort" -> cp.canary().abort(id);
        default -> null;
      };
      if (after == null) {
        return error(404, "not found", "no action '" + action + "' (promote, pause, resume, rollback, abort)");
      }
      log.info("console: " + caller.who() + " ran " + action + " on rollout " + id);
      return ok(json.rollout(after));
    } catch (RolloutNotFoundException e) {
      return error(404, "not found", "no rollout " + id);
    } catch (RolloutStateException e) {
      return error(409, "conflict", e.getMessage());
    } catch (NotLeaderException e) {
      return error(503, "not leader", e.getMessage());
    }
  }

  /** Returns why {@code r} may be a cross-site request, or null when it is not. */
  static String csrfProblem(Request r) {
    if (!"1".equals(r.header(CSRF_HEADER))) {
      return "actions need the header " + CSRF_HEADER + ": 1";
    }
    String site = r.header("Sec-Fetch-Site");
    if (site != null && !site.equals("same-origin") && !site.equals("none")) {
      return "cross-site request refused (Sec-Fetch-Site: " + site + ")";
    }
    String origin = r.header("Origin");
    if (origin != null) {
      String host = r.header("Host");
      String authority;
      try {
        authority = URI.create(origin).getRawAuthority();
      } catch (IllegalArgumentException e) {
        authority = null;
      }
      if (host == null || authority == null || !authority.equalsIgnoreCase(host)) {
        return "cross-origin request refused (Origin does not match Host)";
      }
    }
    return null;
  }

  private Caller caller(Request r) throws AuthenticationException {
    if (authenticator == null) {
      return new Caller("anyone (auth off)", true, true);
    }
    Identity id = authenticator.authenticate(r);
    boolean admin = id.kind() == Identity.Kind.ADMIN;
    return new Caller(id.describe(), admin || id.kind() == Identity.Kind.GATEWAY, admin);
  }

  private static Response ok(String body) {
    return Response.json(200, body);
  }

  private static Response found(String body, String missing) {
    return body == null ? error(404, "not found", missing) : ok(body);
  }

  private static Response notFound(Request r) {
    return error(404, "not found", "no console API at " + r.path());
  }

  static Response error(int status, String error, String message) {
    return secured(Response.json(status, "{\"error\":" + JsonStrings.quote(error) + ",\"message\":"
        + JsonStrings.quote(message) + "}"));
  }

  /** Adds the headers every console answer carries. */
  private static Response secured(Response r) {
    for (Map.Entry<String, String> h : r.headers()) {
      if (h.getKey().equals("X-Content-Type-Options")) {
        return r;
      }
    }
    Response s = r.withHeader("X-Content-Type-Options", "nosniff").withHeader("X-Frame-Options", "DENY")
        .withHeader("Content-Security-Policy", CSP).withHeader("Referrer-Policy", "no-referrer");
    return r.isStream() ? s : s.withHeader("Cache-Control", "no-store");
  }

  private static CompletionStage<Response> done(Response r) {
    return CompletableFuture.completedFuture(r);
  }

  private static String contentType(String name) {
    if (name.endsWith(".js")) {
      return "text/javascript; charset=utf-8";
    }
    if (name.endsWith(".css")) {
      return "text/css; charset=utf-8";
    }
    return "text/html; charset=utf-8";
  }

  private static byte[] asset(String name) {
    try (InputStream in = Console.class.getResourceAsStream("ui/" + name)) {
      if (in == null) {
        throw new IllegalStateException("console asset missing from the jar: " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Ends the live pages' streams and stops the console's thread. */
  @Override
  public void close() {
    events.close();
    scheduler.shutdownNow();
  }

  /** {@code Builder} configures a {@link Console}. */
  public static final class Builder {
    private final ControlPlane cp;
    private ConsoleConfig config = ConsoleConfig.ofDefaults();
    private Authenticator authenticator;
    private ConvergenceWindow convergence;
    private Executor executor;

    private Builder(ControlPlane cp) {
      this.cp = Objects.requireNonNull(cp, "controlPlane");
    }

    /** {@code config} sets the settings (default {@link ConsoleConfig#ofDefaults()}). */
    public Builder config(ConsoleConfig v) {
      config = Objects.requireNonNull(v, "config");
      return this;
    }

    /** {@code authenticator} identifies callers (auth on); null, the default, for auth off. */
    public Builder authenticator(Authenticator v) {
      authenticator = v;
      return this;
    }

    /** {@code convergence} is where the push page reads convergence figures; none by default. */
    public Builder convergence(ConvergenceWindow v) {
      convergence = v;
      return this;
    }

    /** {@code executor} runs API calls (they may read a remote store); required. */
    public Builder executor(Executor v) {
      executor = Objects.requireNonNull(v, "executor");
      return this;
    }

    /** {@code build} returns the console, already listening to the registry and the rollouts. */
    public Console build() {
      Objects.requireNonNull(executor, "executor");
      return new Console(this);
    }
  }
}
