package dev.vertice.gateway.proxy;

import dev.vertice.common.JsonStrings;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/** {@code Errors} builds the gateway's JSON error responses; every one carries the request id. */
final class Errors {

  private Errors() {}

  /**
   * {@code response} returns a JSON error: {@code {"error":code,"message":..,"request_id":..}} plus
   * the service when known.
   */
  static FullHttpResponse response(HttpResponseStatus status, String code, String message, String requestId,
      String service) {
    StringBuilder json = new StringBuilder(160).append("{\"error\":").append(JsonStrings.quote(code))
        .append(",\"status\":").append(status.code())
        .append(",\"message\":").append(JsonStrings.quote(message))
        .append(",\"request_id\":").append(JsonStrings.quote(requestId));
    if (service != null) {
      json.append(",\"service\":").append(JsonStrings.quote(service));
    }
    json.append("}\n");
    ByteBuf body = Unpooled.copiedBuffer(json, StandardCharsets.UTF_8);
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes())
        .set(Headers.X_REQUEST_ID, requestId);
    return r;
  }
}
