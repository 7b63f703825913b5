package dev.vertice.client.internal;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * {@code UnaryCalls} makes unary calls to the control plane with a deadline per attempt, moving on
 * to the next replica when one is UNAVAILABLE (each replica is tried at most once per call).
 */
public final class UnaryCalls {

  private UnaryCalls() {}

  /**
   * {@code call} starts {@code method} on the current replica and returns its outcome; the future
   * fails with the {@link StatusRuntimeException} of the last attempt. Never blocks.
   *
   * @param timeout deadline of each attempt
   */
  public static <Q, R> CompletableFuture<R> call(ControlPlaneChannels channels, MethodDescriptor<Q, R> method,
      Q request, Duration timeout) {
    CompletableFuture<R> result = new CompletableFuture<>();
    attempt(channels, method, request, timeout, channels.current(), channels.size(), result);
    return result;
  }

  /**
   * {@code await} waits for {@code future} and returns its value, rethrowing a call's failure as
   * the {@link StatusRuntimeException} it was. An interrupt ends the wait with CANCELLED (the
   * thread's interrupt flag is set again).
   */
  public static <R> R await(CompletableFuture<R> future) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw Status.CANCELLED.withDescription("interrupted while waiting for the control plane").withCause(e)
          .asRuntimeException();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof StatusRuntimeException sre) {
        throw new StatusRuntimeException(sre.getStatus(), sre.getTrailers());
      }
      throw Status.fromThrowable(cause).asRuntimeException();
    }
  }

  private static <Q, R> void attempt(ControlPlaneChannels channels, MethodDescriptor<Q, R> method, Q request,
      Duration timeout, int index, int attemptsLeft, CompletableFuture<R> result) {
    ClientCall<Q, R> call = channels.channel(index).newCall(method, CallOptions.DEFAULT.withDeadlineAfter(timeout));
    ClientCalls.asyncUnaryCall(call, request, new StreamObserver<R>() {
      private R value;

      @Override
      public void onNext(R v) {
        value = v;
      }

      @Override
      public void onError(Throwable t) {
        if (Status.fromThrowable(t).getCode() == Status.Code.UNAVAILABLE && attemptsLeft > 1) {
          int next = channels.failed(index);
          channels.prepare(next);
          attempt(channels, method, request, timeout, next, attemptsLeft - 1, result);
        } else {
          result.completeExceptionally(t);
        }
      }

      @Override
      public void onCompleted() {
        result.complete(value);
      }
    });
  }
}
