package dev.vertice.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code TestCerts} makes real X.509 material for tests with the {@code openssl} command: a CA, and
 * server or client certificates it signs, as PEM files (certificate, PKCS#8 key). Fails the test when
 * openssl is missing (the README's test command installs it).
 *
 * <pre>{@code
 * TestCerts ca = TestCerts.ca(dir, "test-ca");
 * TestCerts.Pair server = ca.server("server", "localhost", "127.0.0.1");
 * TestCerts.Pair orders = ca.client("orders", "spiffe://vertice/service/orders");
 * }</pre>
 */
public final class TestCerts {

  /** {@code Pair} is one certificate and its private key, as PEM files. */
  public record Pair(Path cert, Path key) {}

  private final Path dir;
  private final Pair ca;

  private TestCerts(Path dir, Pair ca) {
    this.dir = dir;
    this.ca = ca;
  }

  /** {@code ca} creates a self-signed CA named {@code name} in {@code dir} (valid 10 days). */
  public static TestCerts ca(Path dir, String name) throws IOException {
    Files.createDirectories(dir);
    Path key = dir.resolve(name + ".key");
    Path cert = dir.resolve(name + ".crt");
    openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", key.toString(), "-out", cert.toString(), "-days", "10", "-subj", "/CN=" + name,
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    return new TestCerts(dir, new Pair(cert, key));
  }

  /** {@code caCert} returns the CA certificate's PEM file (the trust bundle for peers). */
  public Path caCert() {
    return ca.cert();
  }

  /**
   * {@code server} issues a server certificate with CN {@code name}; each of {@code sans} becomes a
   * DNS or IP subject alternative name.
   */
  public Pair server(String name, String... sans) throws IOException {
    List<String> alt = new ArrayList<>();
    for (String san : sans) {
      alt.add((san.matches("[0-9.]+") || san.contains(":") ? "IP:" : "DNS:") + san);
    }
    return issue(name, alt, "serverAuth");
  }

  /**
   * {@code client} issues a client certificate with CN {@code commonName}; {@code uriSan}, when not
   * null, becomes a URI subject alternative name (a SPIFFE id such as
   * {@code spiffe://vertice/service/orders}).
   */
  public Pair client(String commonName, String uriSan) throws IOException {
    return issue(commonName, uriSan == null ? List.of() : List.of("URI:" + uriSan), "clientAuth");
  }

  /** {@code issue} signs a certificate for {@code commonName} with the given SANs and extended key usage. */
  public Pair issue(String commonName, List<String> sans, String extendedKeyUsage) throws IOException {
    String base = commonName.replaceAll("[^A-Za-z0-9_.-]", "_") + "-" + System.nanoTime();
    Path key = dir.resolve(base + ".key");
    Path csr = dir.resolve(base + ".csr");
    Path cert = dir.resolve(base + ".crt");
    Path ext = dir.resolve(base + ".ext");
    StringBuilder e = new StringBuilder("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n")
        .append("extendedKeyUsage=").append(extendedKeyUsage).append('\n');
    if (!sans.isEmpty()) {
      e.append("subjectAltName=").append(String.join(",", sans)).append('\n');
    }
    Files.writeString(ext, e.toString(), StandardCharsets.UTF_8);
    openssl(dir, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", key.toString(), "-out", csr.toString(), "-subj", "/CN=" + commonName);
    openssl(dir, "x509", "-req", "-in", csr.toString(), "-CA", ca.cert().toString(), "-CAkey", ca.key().toString(),
        "-CAcreateserial", "-out", cert.toString(), "-days", "5", "-extfile", ext.toString());
    // PKCS#8 ("BEGIN PRIVATE KEY"), the form every reader accepts.
    Path pk8 = dir.resolve(base + ".pk8.key");
    openssl(dir, "pkcs8", "-topk8", "-nocrypt", "-in", key.toString(), "-out", pk8.toString());
    return new Pair(cert, pk8);
  }

  private static void openssl(Path dir, String... args) throws IOException {
    Path binary = Path.of("/usr/bin/openssl");
    if (!Files.isExecutable(binary)) {
      throw new AssertionError("openssl is not installed: run ./vertice test, which installs it, or apt-get install openssl");
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(binary.toString());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException("openssl " + String.join(" ", args) + " failed: " + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}
