package dev.vertice.controlplane.push;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * {@code Versions} turns registry revisions into the opaque version strings clients see, and
 * back.
 *
 * <p>A version is {@code <epoch>-<revision>}. The epoch names the store's history: a new one for
 * every start of the in-memory store, so that a client resuming against a restarted control plane
 * (whose revisions start again from 1) never mistakes a new resource for one it holds. Replicas
 * sharing a store share its epoch, so versions are equal on every replica.
 */
public final class Versions {

  private static final Pattern EPOCH = Pattern.compile("[0-9a-z]{1,32}");

  private final String epoch;
  private final String prefix;

  /**
   * Creates versions for {@code epoch}: 1-32 characters of {@code 0-9} and {@code a-z}.
   *
   * @throws IllegalArgumentException for any other epoch
   */
  public Versions(String epoch) {
    if (!EPOCH.matcher(epoch).matches()) {
      throw new IllegalArgumentException("epoch must be 1-32 characters of 0-9 and a-z: '" + epoch + "'");
    }
    this.epoch = epoch;
    this.prefix = epoch + "-";
  }

  /** Returns versions with a fresh random 8-character epoch. */
  public static Versions randomEpoch() {
    byte[] b = new byte[4];
    new SecureRandom().nextBytes(b);
    return new Versions(HexFormat.of().formatHex(b));
  }

  public String epoch() {
    return epoch;
  }

  /** Formats a positive revision. */
  public String format(long revision) {
    return prefix + revision;
  }

  /** Returns the revision of {@code version}, or -1 when it belongs to another epoch or is malformed. */
  public long parse(String version) {
    if (version == null || !version.startsWith(prefix)) {
      return -1;
    }
    try {
      long r = Long.parseLong(version.substring(prefix.length()));
      return r > 0 ? r : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
