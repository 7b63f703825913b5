/**
 * TLS for every listener and client: certificates, keys and CAs read from PEM files and reloaded
 * when the files change, without dropping connections; optional mutual TLS.
 */
package dev.vertice.security.tls;
