package dev.vertice.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.client.internal.VerticeRoundRobinLoadBalancer.WeightedPicker;
import io.grpc.LoadBalancer.FixedResultPicker;
import io.grpc.LoadBalancer.PickResult;
import io.grpc.LoadBalancer.SubchannelPicker;
import io.grpc.Status;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The subset picker of {@code vertice_round_robin}, with seeded randomness. Each child picker
 * answers with an error naming its subset, so a pick says which subset it went to.
 */
class WeightedPickerTest {

  private static SubchannelPicker named(String version) {
    return new FixedResultPicker(PickResult.withError(Status.UNAVAILABLE.withDescription(version)));
  }

  private static Map<String, Integer> pick(WeightedPicker picker, int times) {
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < times; i++) {
      counts.merge(picker.pickSubchannel(null).getStatus().getDescription(), 1, Integer::sum);
    }
    return counts;
  }

  @Test
  void picksSubsetsInProportionToTheirWeights() {
    WeightedPicker picker = new WeightedPicker(new SubchannelPicker[] {named("v1"), named("v2")},
        new int[] {90, 10}, new Random(42));
    Map<String, Integer> counts = pick(picker, 10_000);
    int v2 = counts.getOrDefault("v2", 0);
    assertEquals(10_000, counts.getOrDefault("v1", 0) + v2);
    assertTrue(Math.abs(v2 - 1_000) <= 200, "v2 got " + v2 + " of 10000 picks, expected 1000 ± 200");
  }

  @Test
  void weightsAreRelativeAndRangesHaveExactBoundaries() {
    WeightedPicker picker = new WeightedPicker(new SubchannelPicker[] {named("a"), named("b"), named("c")},
        new int[] {1, 2, 3}, new Random(7));
    assertEquals(0, picker.index(0));
    assertEquals(1, picker.index(1));
    assertEquals(1, picker.index(2));
    assertEquals(2, picker.index(3));
    assertEquals(2, picker.index(5));
    Map<String, Integer> counts = pick(picker, 6_000);
    assertTrue(Math.abs(counts.get("c") - 3_000) <= 200, "c got " + counts);
    assertTrue(Math.abs(counts.get("a") - 1_000) <= 200, "a got " + counts);
  }

  @Test
  void aSinglePickerTakesEveryPick() {
    WeightedPicker picker = new WeightedPicker(new SubchannelPicker[] {named("only")}, new int[] {5}, new Random(1));
    assertEquals(Map.of("only", 100), pick(picker, 100));
  }

  @Test
  void rejectsMismatchedOrNonPositiveWeights() {
    SubchannelPicker[] two = {named("a"), named("b")};
    assertThrows(IllegalArgumentException.class, () -> new WeightedPicker(two, new int[] {1}, new Random()));
    assertThrows(IllegalArgumentException.class, () -> new WeightedPicker(two, new int[] {1, 0}, new Random()));
    assertThrows(IllegalArgumentException.class,
        () -> new WeightedPicker(new SubchannelPicker[0], new int[0], new Random()));
  }
}
