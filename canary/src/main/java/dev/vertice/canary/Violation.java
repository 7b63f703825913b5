package dev.vertice.canary;

/**
 * {@code Violation} names one bad field of a rollout spec and says what is wrong with it.
 *
 * @param field the field, in the API's snake_case, for example {@code "stage_weights[1]"}
 * @param description what is wrong, quoting the rejected value
 */
public record Violation(String field, String description) {}
