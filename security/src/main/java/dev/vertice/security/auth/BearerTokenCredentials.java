package dev.vertice.security.auth;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.SecurityLevel;
import io.grpc.Status;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.Executor;

/**
 * {@code BearerTokenCredentials} sends {@code authorization: Bearer <token>} on every call, the token
 * read from a file and re-read when the file changes (so a rotated token is picked up without a
 * restart). The token never appears in logs or errors: a failure names the file only. It is sent
 * only over connections with privacy and integrity (TLS, or in-process): on a plaintext connection
 * the call fails with UNAUTHENTICATED before anything is sent.
 */
public final class BearerTokenCredentials extends CallCredentials {

  /** The request header carrying the token. */
  public static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final Path file;
  private final String fixed;
  private volatile Cached cached;

  private record Cached(FileTime modified, String token) {}

  private BearerTokenCredentials(Path file, String fixed) {
    this.file = file;
    this.fixed = fixed;
  }

  /** {@code fromFile} sends the token held in {@code file} (surrounding whitespace ignored). */
  public static BearerTokenCredentials fromFile(Path file) {
    return new BearerTokenCredentials(file, null);
  }

  /** {@code of} sends {@code token} as it is (tests, and callers that hold the token in memory). */
  public static BearerTokenCredentials of(String token) {
    if (token == null || token.isBlank()) {
      throw new IllegalArgumentException("the token is empty");
    }
    return new BearerTokenCredentials(null, token.strip());
  }

  @Override
  public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
    // grpc-java leaves this check to the credentials: a token must never cross a plaintext
    // connection, where anyone on the path could read and replay it. (In-process channels report
    // PRIVACY_AND_INTEGRITY and pass.)
    if (info.getSecurityLevel() != SecurityLevel.PRIVACY_AND_INTEGRITY) {
      applier.fail(Status.UNAUTHENTICATED.withDescription("refusing to send a bearer token over a connection without"
          + " TLS (security level " + info.getSecurityLevel() + "): configure a CA for the control plane"));
      return;
    }
    String token;
    try {
      token = token();
    } catch (IOException e) {
      applier.fail(Status.UNAUTHENTICATED.withDescription("cannot read the token file " + file + ": "
          + e.getClass().getSimpleName()));
      return;
    }
    Metadata headers = new Metadata();
    headers.put(AUTHORIZATION, "Bearer " + token);
    applier.apply(headers);
  }

  /** {@code token} returns the current token, re-reading the file when its modification time changed. */
  String token() throws IOException {
    if (fixed != null) {
      return fixed;
    }
    FileTime modified = Files.getLastModifiedTime(file);
    Cached c = cached;
    if (c == null || !c.modified().equals(modified)) {
      String token = Files.readString(file, StandardCharsets.UTF_8).strip();
      if (token.isEmpty()) {
        throw new IOException("empty token file");
      }
      c = new Cached(modified, token);
      cached = c;
    }
    return c.token();
  }

  @Override
  public String toString() {
    // Never the token itself.
    return fixed != null ? "BearerTokenCredentials[in memory]" : "BearerTokenCredentials[" + file + "]";
  }
}
