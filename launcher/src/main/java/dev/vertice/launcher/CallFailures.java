package dev.vertice.launcher;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.BadRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * {@code CallFailures} turns a failed CLI call to the control plane into a message on stderr and an
 * exit code: 2 for INVALID_ARGUMENT (one line per bad field, naming the option or parameter that
 * sets it), 1 for everything else, the message naming the gRPC status (NOT_FOUND,
 * PERMISSION_DENIED, UNAVAILABLE...).
 */
final class CallFailures {

  private CallFailures() {}

  /**
   * {@code report} prints why {@code e} failed to {@code err} and returns the exit code.
   *
   * @param controlPlane the address called, for "cannot reach" messages
   * @param service the gRPC service called, for "does not serve" messages (an older control plane)
   * @param option maps a request field path of a google.rpc.BadRequest to the option that sets it
   */
  static int report(StatusRuntimeException e, PrintWriter err, String controlPlane, String service,
      UnaryOperator<String> option) {
    Status s = e.getStatus();
    String description = s.getDescription() == null ? "" : s.getDescription();
    int code = switch (s.getCode()) {
      case INVALID_ARGUMENT -> {
        List<String> lines = violations(e, option);
        if (lines.isEmpty()) {
          err.println("invalid input: " + description);
        } else {
          lines.forEach(err::println);
        }
        yield 2;
      }
      case UNAVAILABLE, DEADLINE_EXCEEDED -> {
        err.println("cannot reach the control plane at " + controlPlane + ": " + s.getCode() + " " + description);
        yield 1;
      }
      case UNIMPLEMENTED -> {
        err.println("the control plane at " + controlPlane + " does not serve " + service + " (an older version?)");
        yield 1;
      }
      default -> {
        err.println(s.getCode() + ": " + description);
        yield 1;
      }
    };
    err.flush();
    return code;
  }

  /** One line per bad field of {@code e}'s google.rpc.BadRequest details, naming the option that sets it. */
  static List<String> violations(StatusRuntimeException e, UnaryOperator<String> option) {
    List<String> out = new ArrayList<>();
    com.google.rpc.Status status = StatusProto.fromThrowable(e);
    if (status == null) {
      return out;
    }
    for (com.google.protobuf.Any any : status.getDetailsList()) {
      if (!any.is(BadRequest.class)) {
        continue;
      }
      try {
        for (BadRequest.FieldViolation v : any.unpack(BadRequest.class).getFieldViolationsList()) {
          out.add("invalid " + option.apply(v.getField()) + ": " + v.getDescription());
        }
      } catch (InvalidProtocolBufferException ignored) {
        // Not a readable BadRequest: the status message says it all.
      }
    }
    return out;
  }
}
