package dev.vertice.security.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vertice.testkit.TestCerts;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class IdentityMapperTest {

  private final IdentityMapper mapper = new IdentityMapper("vertice",
      AuthPolicy.parse(new StringReader("role.edge-1 = gateway\nrole.alice = admin\n")));

  @Test
  void spiffeIdsMapByPath() throws Exception {
    Identity s = mapper.fromSpiffeId("spiffe://vertice/service/Orders_Service", Identity.Source.MTLS);
    assertEquals(new Identity(Identity.Kind.SERVICE, "orders-service", "spiffe://vertice/service/Orders_Service",
        Identity.Source.MTLS), s);
    assertEquals(Identity.Kind.GATEWAY, mapper.fromSpiffeId("spiffe://vertice/gateway/edge", Identity.Source.JWT).kind());
    assertEquals(Identity.Kind.ADMIN, mapper.fromSpiffeId("spiffe://vertice/admin/ops", Identity.Source.JWT).kind());
    assertThrows(AuthenticationException.class, () -> mapper.fromSpiffeId("spiffe://other/service/orders",
        Identity.Source.MTLS));
    assertThrows(AuthenticationException.class, () -> mapper.fromSpiffeId("spiffe://vertice/ns/x/sa/y",
        Identity.Source.MTLS));
    assertThrows(AuthenticationException.class, () -> mapper.fromSpiffeId("spiffe://vertice/service/",
        Identity.Source.MTLS));
    assertThrows(AuthenticationException.class, () -> mapper.fromSpiffeId("spiffe://vertice/robot/x",
        Identity.Source.MTLS));
  }

  @Test
  void plainNamesAreServicesUnlessThePolicyGivesARole() throws Exception {
    assertEquals(new Identity(Identity.Kind.SERVICE, "orders", "cn:orders", Identity.Source.MTLS),
        mapper.fromName("orders", "cn:", Identity.Source.MTLS));
    assertEquals(new Identity(Identity.Kind.GATEWAY, "edge-1", "jwt:edge-1", Identity.Source.JWT),
        mapper.fromName("edge-1", "jwt:", Identity.Source.JWT));
    assertEquals(Identity.Kind.ADMIN, mapper.fromName("alice", "jwt:", Identity.Source.JWT).kind());
    assertEquals(Identity.Kind.GATEWAY, mapper.fromName("spiffe://vertice/gateway/g", "jwt:", Identity.Source.JWT).kind());
    assertThrows(AuthenticationException.class, () -> mapper.fromName("not a name", "cn:", Identity.Source.MTLS));
    assertThrows(IllegalArgumentException.class, () -> new IdentityMapper("Bad Domain", AuthPolicy.empty()));
  }

  @Test
  void certificatesMapFromTheirSpiffeSanElseTheirCn(@TempDir Path dir) throws Exception {
    TestCerts ca = TestCerts.ca(dir, "ca");
    X509Certificate spiffe = load(ca.client("ignored-cn", "spiffe://vertice/service/orders").cert());
    assertEquals(new Identity(Identity.Kind.SERVICE, "orders", "spiffe://vertice/service/orders", Identity.Source.MTLS),
        mapper.fromCertificate(spiffe));
    X509Certificate cn = load(ca.client("edge-1", null).cert());
    assertEquals(new Identity(Identity.Kind.GATEWAY, "edge-1", "cn:edge-1", Identity.Source.MTLS),
        mapper.fromCertificate(cn));
    X509Certificate spiffeCn = load(ca.client("spiffe:\\/\\/vertice\\/admin\\/x", null).cert());
    AuthenticationException cnRefused = assertThrows(AuthenticationException.class, () -> mapper.fromCertificate(spiffeCn));
    assertTrue(cnRefused.getMessage().contains("URI SAN"), cnRefused.getMessage());
    X509Certificate foreign = load(ca.client("orders", "spiffe://elsewhere/service/orders").cert());
    AuthenticationException e = assertThrows(AuthenticationException.class, () -> mapper.fromCertificate(foreign));
    assertTrue(e.getMessage().contains("trust domain"), e.getMessage());
    X509Certificate two = load(ca.issue("x", List.of("URI:spiffe://vertice/service/a", "URI:spiffe://vertice/service/b"),
        "clientAuth").cert());
    assertThrows(AuthenticationException.class, () -> mapper.fromCertificate(two));
  }

  private static X509Certificate load(Path pem) throws Exception {
    try (InputStream in = Files.newInputStream(pem)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }
}
