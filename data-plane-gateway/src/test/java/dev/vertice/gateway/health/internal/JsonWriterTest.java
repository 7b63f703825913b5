package dev.vertice.gateway.health.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class JsonWriterTest {

  @Test
  void escapesStringsAndSeparatesMembers() {
    String json = new JsonWriter().beginObject()
        .name("a\"b").value("line\nbreak\t\\ \u0001 \u2028 é")
        .name("n").value(42)
        .name("d").value(1.25)
        .name("whole").value(3.0)
        .name("list").beginArray().value(true).value((String) null).beginObject().endObject().endArray()
        .endObject().toString();
    assertEquals("{\"a\\\"b\":\"line\\nbreak\\t\\\\ \\u0001 \\u2028 é\",\"n\":42,\"d\":1.25,\"whole\":3,"
        + "\"list\":[true,null,{}]}", json);
  }

  @Test
  void rejectsNumbersJsonCannotHold() {
    assertThrows(IllegalArgumentException.class, () -> new JsonWriter().value(Double.NaN));
  }
}
