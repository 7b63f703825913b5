package dev.vertice.security.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthPolicyTest {

  private static Identity service(String name) {
    return new Identity(Identity.Kind.SERVICE, name, "cn:" + name, Identity.Source.MTLS);
  }

  @Test
  void decisionsFollowTheTable() {
    AuthPolicy p = AuthPolicy.parse(new StringReader("""
        role.edge-1 = gateway
        role.alice = admin
        watch.orders = payments, INVENTORY_SERVICE
        watch.console = *
        """));
    Identity orders = service("orders");
    Identity gateway = new Identity(Identity.Kind.GATEWAY, "edge-1", "cn:edge-1", Identity.Source.MTLS);
    Identity admin = new Identity(Identity.Kind.ADMIN, "alice", "jwt:alice", Identity.Source.JWT);
    assertEquals(Optional.of(Identity.Kind.GATEWAY), p.role("edge-1"));
    assertEquals(Optional.empty(), p.role("orders"));

    assertTrue(p.mayWrite(orders, "orders"));
    assertFalse(p.mayWrite(orders, "payments"));
    assertFalse(p.mayWrite(gateway, "orders"));
    assertTrue(p.mayWrite(admin, "payments"));

    assertTrue(p.mayWatch(orders, "orders"));
    assertTrue(p.mayWatch(orders, "payments"));
    assertTrue(p.mayWatch(orders, "inventory-service"));
    assertFalse(p.mayWatch(orders, "billing"));
    assertTrue(p.mayWatch(service("console"), "billing"));
    assertFalse(p.mayWatch(service("payments"), "orders"));
    assertTrue(p.mayWatch(gateway, "billing"));
    assertTrue(p.mayWatch(admin, "billing"));

    assertTrue(p.isAdmin(admin));
    assertFalse(p.isAdmin(gateway));
    assertTrue(p.mayReportStats(gateway));
    assertTrue(p.mayReportStats(admin));
    assertFalse(p.mayReportStats(orders));
  }

  @Test
  void badFileFailsNamingTheKey(@TempDir Path dir) throws Exception {
    assertTrue(bad("role.bob = root").contains("role.bob"));
    assertTrue(bad("watch.orders = payments, Bad Name!").contains("watch.orders"));
    assertTrue(bad("watch.orders = a, *").contains("'*' must stand alone"));
    assertTrue(bad("watch.orders = a,,b").contains("empty service name"));
    assertTrue(bad("grant.orders = a").contains("unknown key 'grant.orders'"));
    Path f = Files.writeString(dir.resolve("policy.properties"), "role.x = nobody\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AuthPolicy.load(f));
    assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("role.x"), e.getMessage());
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
        () -> AuthPolicy.load(dir.resolve("absent")));
    assertTrue(missing.getMessage().contains("cannot read auth policy"));
  }

  private static String bad(String text) {
    return assertThrows(IllegalArgumentException.class, () -> AuthPolicy.parse(new StringReader(text))).getMessage();
  }
}
