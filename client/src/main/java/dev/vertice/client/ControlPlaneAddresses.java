package dev.vertice.client;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * {@code ControlPlaneAddresses} is the ordered list of control-plane replicas a client may talk
 * to, each as {@code host:port} ({@code [v6-literal]:port} for IPv6).
 *
 * <p>Clients connect to the first address and, whenever a stream fails, move on to the next one
 * (wrapping around), waiting a {@link BackoffConfig backoff} delay in between. The list is
 * immutable; duplicates are kept (they simply weigh an address more).
 *
 * @param addresses the addresses in the order they are tried; never empty
 */
public record ControlPlaneAddresses(List<String> addresses) {

  /** Environment variable read by {@link #fromEnvironment()}: a comma-separated list. */
  public static final String ENV_VAR = "VERTICE_CONTROL_PLANE";
  /** System property read by {@link #fromEnvironment()}; it wins over the environment variable. */
  public static final String SYSTEM_PROPERTY = "vertice.controlPlane";
  /** Address used by {@link #fromEnvironment()} when neither setting is present. */
  public static final String DEFAULT_ADDRESS = "localhost:7700";

  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9.])?");
  private static final Pattern IPV6 = Pattern.compile("\\[[0-9A-Fa-f:.]{2,45}(%[A-Za-z0-9._-]+)?]");
  private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");

  /**
   * {@code ControlPlaneAddresses} validates and copies {@code addresses}.
   *
   * @throws IllegalArgumentException when the list is empty or an entry is not {@code host:port},
   *     quoting the entry
   */
  public ControlPlaneAddresses {
    Objects.requireNonNull(addresses, "addresses");
    if (addresses.isEmpty()) {
      throw new IllegalArgumentException("at least one control-plane address (host:port) is required");
    }
    List<String> checked = new ArrayList<>(addresses.size());
    for (String a : addresses) {
      checked.add(check(a));
    }
    addresses = List.copyOf(checked);
  }

  /**
   * {@code parse} reads a comma-separated list such as {@code "cp-1:7700, cp-2:7700"}; white space
   * around entries is ignored.
   *
   * @throws IllegalArgumentException when the list is empty or an entry is not {@code host:port}
   */
  public static ControlPlaneAddresses parse(String commaSeparated) {
    if (commaSeparated == null || commaSeparated.isBlank()) {
      throw new IllegalArgumentException("at least one control-plane address (host:port) is required, got '"
          + commaSeparated + "'");
    }
    List<String> out = new ArrayList<>();
    for (String part : commaSeparated.split(",", -1)) {
      out.add(part.strip());
    }
    return new ControlPlaneAddresses(out);
  }

  /** {@code of} is {@link #ControlPlaneAddresses(List)} for a few literal addresses. */
  public static ControlPlaneAddresses of(String... addresses) {
    return new ControlPlaneAddresses(List.of(addresses));
  }

  /**
   * {@code fromEnvironment} reads the system property {@value #SYSTEM_PROPERTY}, else the
   * environment variable {@value #ENV_VAR}, else uses {@value #DEFAULT_ADDRESS}.
   *
   * @throws IllegalArgumentException when the setting found is malformed
   */
  public static ControlPlaneAddresses fromEnvironment() {
    String value = System.getProperty(SYSTEM_PROPERTY);
    if (value == null || value.isBlank()) {
      value = System.getenv(ENV_VAR);
    }
    if (value == null || value.isBlank()) {
      value = DEFAULT_ADDRESS;
    }
    return parse(value);
  }

  /** {@code size} returns the number of addresses. */
  public int size() {
    return addresses.size();
  }

  @Override
  public String toString() {
    return String.join(",", addresses);
  }

  private static String check(String address) {
    if (address == null || address.isEmpty()) {
      throw new IllegalArgumentException("a control-plane address must be host:port, got ''");
    }
    int colon = address.lastIndexOf(':');
    if (colon <= 0 || colon == address.length() - 1) {
      throw new IllegalArgumentException("control-plane address '" + address + "' must be host:port");
    }
    String host = address.substring(0, colon);
    String port = address.substring(colon + 1);
    boolean hostOk = host.startsWith("[") ? IPV6.matcher(host).matches() : HOST.matcher(host).matches();
    if (!hostOk) {
      throw new IllegalArgumentException("control-plane address '" + address
          + "' has an invalid host (a DNS name, an IPv4 literal, or an IPv6 literal in brackets)");
    }
    int p = PORT.matcher(port).matches() ? Integer.parseInt(port) : -1;
    if (p < 1 || p > 65535) {
      throw new IllegalArgumentException("control-plane address '" + address + "' has a port outside 1..65535");
    }
    return address;
  }
}
