package dev.vertice.security.auth;

import dev.vertice.common.ServiceNames;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code AuthPolicy} holds the roles of plain names and the watch grants of services, and decides
 * what an {@link Identity} may do. Immutable and thread-safe.
 *
 * <p>File format (Java properties, {@code --auth-policy FILE}):
 *
 * <pre>
 * # roles of plain certificate CNs and JWT subjects (SPIFFE ids carry their role in the path)
 * role.edge-1 = gateway
 * role.alice = admin
 * # services a service identity may watch besides its own ("*": every service)
 * watch.orders = payments, inventory
 * watch.ops-console = *
 * </pre>
 *
 * <p>Decision table (auth on):
 *
 * <pre>
 * operation                                   SERVICE s          GATEWAY   ADMIN
 * Register/KeepAlive/SetHealth/Deregister x   x == s             no        yes
 * Watch / ADS / GetService / ListServices x   x == s or granted  yes       yes
 * ExternalScaler (KEDA) about x              x == s or granted  yes       yes
 * ReportStats                                 no                 yes       yes
 * CanaryService (all methods)                 no                 no        yes
 * server reflection                           yes                yes       yes
 * grpc.health.v1                              open to everyone, even unauthenticated
 * </pre>
 */
public final class AuthPolicy {

  /** Longest accepted policy file: a policy is a short list, not a data set. */
  public static final int MAX_FILE_BYTES = 1 << 20;

  private static final AuthPolicy EMPTY = new AuthPolicy(Map.of(), Map.of(), Set.of());

  private final Map<String, Identity.Kind> roles;
  private final Map<String, Set<String>> grants;
  private final Set<String> watchAll;

  private AuthPolicy(Map<String, Identity.Kind> roles, Map<String, Set<String>> grants, Set<String> watchAll) {
    this.roles = roles;
    this.grants = grants;
    this.watchAll = watchAll;
  }

  /** Returns the policy with no roles and no grants: every service sees only itself. */
  public static AuthPolicy empty() {
    return EMPTY;
  }

  /**
   * Reads a policy file.
   *
   * @throws IllegalArgumentException naming the file and the offending key when the file cannot be
   *     read or a key or value is invalid
   */
  public static AuthPolicy load(Path file) {
    String text;
    try {
      if (Files.size(file) > MAX_FILE_BYTES) {
        throw new IllegalArgumentException("auth policy " + file + " is larger than " + MAX_FILE_BYTES + " bytes");
      }
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read auth policy " + file + ": " + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : " " + e.getMessage()));
    }
    try {
      return parse(new StringReader(text));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("auth policy " + file + ": " + e.getMessage());
    }
  }

  /** Parses a policy in the properties format above; errors name the key. */
  public static AuthPolicy parse(Reader in) {
    Properties p = new Properties();
    try {
      p.load(in);
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalArgumentException("not a properties file: " + e.getMessage());
    }
    Map<String, Identity.Kind> roles = new HashMap<>();
    Map<String, Set<String>> grants = new HashMap<>();
    Set<String> watchAll = new HashSet<>();
    for (String key : new TreeSet<>(p.stringPropertyNames())) {
      String value = p.getProperty(key).strip();
      if (key.startsWith("role.")) {
        String name = key.substring("role.".length()).strip();
        if (name.isEmpty()) {
          throw new IllegalArgumentException("key '" + key + "': no name after 'role.'");
        }
        Identity.Kind kind = switch (value.toLowerCase(Locale.ROOT)) {
          case "gateway" -> Identity.Kind.GATEWAY;
          case "admin" -> Identity.Kind.ADMIN;
          default -> throw new IllegalArgumentException("key '" + key + "': role '" + value
              + "' is not one of gateway, admin");
        };
        roles.put(name, kind);
      } else if (key.startsWith("watch.")) {
        String service = service(key, key.substring("watch.".length()));
        if (value.equals("*")) {
          watchAll.add(service);
          continue;
        }
        Set<String> granted = new HashSet<>();
        for (String part : value.split(",")) {
          if (part.isBlank()) {
            throw new IllegalArgumentException("key '" + key + "': empty service name in '" + value + "'");
          }
          if (part.strip().equals("*")) {
            throw new IllegalArgumentException("key '" + key + "': '*' must stand alone");
          }
          granted.add(service(key, part));
        }
        grants.put(service, Collections.unmodifiableSet(granted));
      } else {
        throw new IllegalArgumentException("unknown key '" + key + "': keys are role.<name> = gateway|admin"
            + " and watch.<service> = <service>, ... | *");
      }
    }
    return new AuthPolicy(Map.copyOf(roles), Map.copyOf(grants), Set.copyOf(watchAll));
  }

  private static String service(String key, String raw) {
    return ServiceNames.normalize(raw).orElseThrow(() -> new IllegalArgumentException("key '" + key
        + "': '" + raw.strip() + "' is not a service name (" + ServiceNames.describeRule() + ")"));
  }

  /** Returns the role given to plain name {@code name} (a certificate CN or a JWT subject), if any. */
  public Optional<Identity.Kind> role(String name) {
    return Optional.ofNullable(roles.get(name));
  }

  /** Returns whether {@code id} may register, keep alive, set health of and deregister instances of {@code service}. */
  public boolean mayWrite(Identity id, String service) {
    return switch (id.kind()) {
      case ADMIN -> true;
      case GATEWAY -> false;
      case SERVICE -> id.name().equals(service);
    };
  }

  /** Returns whether {@code id} may watch (or read) {@code service}. */
  public boolean mayWatch(Identity id, String service) {
    return switch (id.kind()) {
      case ADMIN, GATEWAY -> true;
      case SERVICE -> id.name().equals(service) || watchAll.contains(id.name())
          || grants.getOrDefault(id.name(), Set.of()).contains(service);
    };
  }

  /** Returns whether {@code id} has the admin role (canary operations, registry administration). */
  public boolean isAdmin(Identity id) {
    return id.kind() == Identity.Kind.ADMIN;
  }

  /** Returns whether {@code id} may report request stats (gateways and admins). */
  public boolean mayReportStats(Identity id) {
    return id.kind() == Identity.Kind.GATEWAY || id.kind() == Identity.Kind.ADMIN;
  }

  @Override
  public String toString() {
    return "AuthPolicy[" + roles.size() + " roles, " + (grants.size() + watchAll.size()) + " watch grants]";
  }
}
