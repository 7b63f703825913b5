package dev.vertice.gateway.proxy;

import dev.vertice.common.JsonStrings;

/** {@code Json} quotes strings for the small JSON documents the gateway writes by hand. */
public final class Json {

  private Json() {}

  /** {@code quote} returns {@code s} as a JSON string literal ({@code null} for null). */
  public static String quote(String s) {
    return JsonStrings.quote(s);
  }
}
