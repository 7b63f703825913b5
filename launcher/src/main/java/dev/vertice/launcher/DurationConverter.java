package dev.vertice.launcher;

import java.time.Duration;
import picocli.CommandLine;

/** {@code DurationConverter} reads picocli flags that are durations ({@link DurationFormat}: {@code 30s}, {@code 5m}). */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {

  @Override
  public Duration convert(String value) {
    try {
      return DurationFormat.parse(value);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.TypeConversionException(e.getMessage());
    }
  }
}
