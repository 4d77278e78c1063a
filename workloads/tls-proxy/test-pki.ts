/**
 * A test-only PKI, **not secret and never for real use** (these keys are public in this repository):
 * a P-256 CA (`CN=buflab-test-ca`, its key deleted after signing) and leaf certificates for
 * `localhost`, `backend.test` and 127.0.0.1 signed by it, with an ECDSA P-256, an Ed25519 and an
 * RSA-2048 key. Made once with the `openssl` CLI, valid until 2126. They are inlined as strings (not
 * files) so that the in-memory `tls-proxy` workload, the TLS fuzzer and the bench script run from
 * `dist/` too and without the `openssl` CLI. The interop tests (test/workloads/tls-proxy/) make fresh
 * certificates with the `openssl` CLI at test time instead.
 */
import { X509Certificate } from 'node:crypto';
import { loadServerCredentials, type ServerCredentials } from '../../stack/tls/certificates.js';

export const TEST_KEY_TYPES = ['ec', 'ed25519', 'rsa'] as const;
export type TestKeyType = (typeof TEST_KEY_TYPES)[number];

export const TEST_CA_PEM = `-----BEGIN CERTIFICATE-----
MIIBmTCCAT+gAwIBAgIUKyi/v1ZztEUvaY3JTBCbqvCBjzswCgYIKoZIzj0EAwIw
GTEXMBUGA1UEAwwOYnVmbGFiLXRlc3QtY2EwIBcNMjYxMTIyMDAwNzIyWhgPMjEy
NjEwMjkwMDA3MjJaMBkxFzAVBgNVBAMMDmJ1ZmxhYi10ZXN0LWNhMFkwEwYHKoZI
zj0CAQYIKoZIzj0DAQcDQgAEQEVijzRSwlYEe1Fdvgga2JcYQ/pI6obiTWfhiZ90
0dwfhth3dowSxXKbSJSEeQ56XPnJO3lWU86VMpI4d4Y9XqNjMGEwHQYDVR0OBBYE
FL9zb+Y4yiUddzDG0aT0t1kpPHMRMB8GA1UdIwQYMBaAFL9zb+Y4yiUddzDG0aT0
t1kpPHMRMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgIEMAoGCCqGSM49
BAMCA0gAMEUCIQDrElxdFa4hzLy/EJPhs2dXsE5yrRGH9SbpY23/Fvj/5QIgbEx+
DiM4tjk6eErMJkh5va4BBXQ3G2VMt+jxMIYs550=
-----END CERTIFICATE-----
`;

export const TEST_SERVER_PEM: Readonly<Record<TestKeyType, { cert: string; key: string }>> = {
  ec: {
    cert: `-----BEGIN CERTIFICATE-----
MIIBqDCCAU6gAwIBAgIUZfxYfea4Sv3J8knZtaMCfP2+jHIwCgYIKoZIzj0EAwIw
GTEXMBUGA1UEAwwOYnVmbGFiLXRlc3QtY2EwIBcNMjYxMTIyMDAwNzIyWhgPMjEy
NjEwMjkwMDA3MjJaMBQxEjAQBgNVBAMMCWxvY2FsaG9zdDBZMBMGByqGSM49AgEG
CCqGSM49AwEHA0IABMCh+pKcSusCQ+ULBiudZT9kA83lCg3mH69qx7qr7XyOnrf+
l483qx+H3+ee6U7SRyv+EzLG1RPqHUbG320KLyyjdzB1MCgGA1UdEQQhMB+CCWxv
Y2FsaG9zdIIMYmFja2VuZC50ZXN0hwR/AAABMAkGA1UdEwQCMAAwHQYDVR0OBBYE
FJQuEsl+GUkZJE4YWpIWSvS2mQr2MB8GA1UdIwQYMBaAFL9zb+Y4yiUddzDG0aT0
t1kpPHMRMAoGCCqGSM49BAMCA0gAMEUCIGhQKdjDr3avsu/nLF9+RznxWrRhQHWq
yVPMRSzhnmC7AiEA5qRotjarOCmWEm5+3sixKuXSoZM0OFqRkt2JojMDJJE=
-----END CERTIFICATE-----
`,
    key: `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgimrOBTIK/rRgZya9
LHE4FviqANlFc0wy5qybi5s38eChRANCAATAofqSnErrAkPlCwYrnWU/ZAPN5QoN
5h+vase6q+18jp63/pePN6sfh9/nnulO0kcr/hMyxtUT6h1Gxt9tCi8s
-----END PRIVATE KEY-----
`,
  },
  ed25519: {
    cert: `-----BEGIN CERTIFICATE-----
MIIBeTCCAR+gAwIBAgIUZfxYfea4Sv3J8knZtaMCfP2+jHMwCgYIKoZIzj0EAwIw
GTEXMBUGA1UEAwwOYnVmbGFiLXRlc3QtY2EwIBcNMjYxMTIyMDAwNzIyWhgPMjEy
NjEwMjkwMDA3MjJaMBQxEjAQBgNVBAMMCWxvY2FsaG9zdDAqMAUGAytlcAMhAEz1
VIP26XR3NJFLAILSiKHTBisbelO335T+ntg9+L76o3cwdTAoBgNVHREEITAfggls
b2NhbGhvc3SCDGJhY2tlbmQudGVzdIcEfwAAATAJBgNVHRMEAjAAMB0GA1UdDgQW
BBQON5Gexgl343kvYI/awec2RFNmGzAfBgNVHSMEGDAWgBS/c2/mOMolHXcwxtGk
9LdZKTxzETAKBggqhkjOPQQDAgNIADBFAiAHS8jaFH0vcXG+4l1jK003mElLN2Ze
bujavsKwsIs1OwIhAOU6hLjEWERnlaHIxuTUifVbxnMukCfGBnOMzbJt+uI7
-----END CERTIFICATE-----
`,
    key: `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEILmJ9iY+tb6pYmeHXSlZj04hXZuhx89QDPPkRlg6J4C4
-----END PRIVATE KEY-----
`,
  },
  rsa: {
    cert: `-----BEGIN CERTIFICATE-----
MIICczCCAhmgAwIBAgIUZfxYfea4Sv3J8knZtaMCfP2+jHQwCgYIKoZIzj0EAwIw
GTEXMBUGA1UEAwwOYnVmbGFiLXRlc3QtY2EwIBcNMjYxMTIyMDAwNzIyWhgPMjEy
NjEwMjkwMDA3MjJaMBQxEjAQBgNVBAMMCWxvY2FsaG9zdDCCASIwDQYJKoZIhvcN
AQEBBQADggEPADCCAQoCggEBAOmPeVDCzNuRKHtpVW6Fa7X2qSU7kEwAunSKlIdy
kFvCcv/P4/P5QvZl03At0upai18zfF4jD4DEy7gvHf1YATHfIG+LWnw/W/vDkc21
2eJ/0gctEM2cb2ff5Vk3Y10kqYLSci8kTnDWwd+QdP6w+884Eg6naVntIbseOQMc
tvVdCTXavpQSwxWIclA6qoR0jYkbU4NCcZsrcIDTCUG6a3sU+5PZojTbXGSmvPaE
Cw5Ot1OKH5uTh20Ekjd+x4mue85ZVV9SSjBIZQvXXfQLwrm/6o3ixGQmXMyJyG7V
3o7Mp6T1qLOYDSqZbFteJFidZgDaUQl8vQeDMHjkBzacj/sCAwEAAaN3MHUwKAYD
VR0RBCEwH4IJbG9jYWxob3N0ggxiYWNrZW5kLnRlc3SHBH8AAAEwCQYDVR0TBAIw
ADAdBgNVHQ4EFgQUp7J3FSbHj/t5PDqJVMAsS++WUcwwHwYDVR0jBBgwFoAUv3Nv
5jjKJR13MMbRpPS3WSk8cxEwCgYIKoZIzj0EAwIDSAAwRQIgFJtCwFoVagmlPiFe
Q4XMjKyHRk/2gYiahqKM65kJMn4CIQCjCAEbZoKxKC92yit0v9wpYqRUesOPaWL4
tdUy4gD3JQ==
-----END CERTIFICATE-----
`,
    key: `-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDpj3lQwszbkSh7
aVVuhWu19qklO5BMALp0ipSHcpBbwnL/z+Pz+UL2ZdNwLdLqWotfM3xeIw+AxMu4
Lx39WAEx3yBvi1p8P1v7w5HNtdnif9IHLRDNnG9n3+VZN2NdJKmC0nIvJE5w1sHf
kHT+sPvPOBIOp2lZ7SG7HjkDHLb1XQk12r6UEsMViHJQOqqEdI2JG1ODQnGbK3CA
0wlBumt7FPuT2aI021xkprz2hAsOTrdTih+bk4dtBJI3fseJrnvOWVVfUkowSGUL
1130C8K5v+qN4sRkJlzMichu1d6OzKek9aizmA0qmWxbXiRYnWYA2lEJfL0HgzB4
5Ac2nI/7AgMBAAECggEAcP3tsXIEfIbNwGK1p3nZoZb6vp4B0ZsamU3/zEVS7Gl2
jCatf7cLu7uIXoF0w9bZDU4RsVMh6WiLrAfzaMCeF1v8S6pttKVMYVD8ZTpAdjDj
UYBuXCJ9zRGG2bIPmpylezpHbmIQpstm0LsItry1ncrhBYDdWVl805Mr/sLyCmIy
/UHKEo2KLLFrea3P0rg0WEHBnWIY5CPP0rRgpVhlzFYcy9HkKyL0fzoxqNcHze6A
iy0pkL+sBk2OXEWhkr4MTmbb59C49KVzrbj/N+sz2ueU9bgg8thYO4+tWnti2zy2
MSepl5Dgv6U2EWRIvHKDrkveICzmarzEfCNFEOCEoQKBgQD1nTUaQvnhqFqPPq9Z
9otS+fh2SWtb9isaT0JjTf1JB82ftWUxCxgopgrPAES+dpIgJOoxramc5EqckOeF
AbX3XP6RtCzOsa9dsUGnbp0Ix9zL5YNiX/tjz3goMDOgeOYtppYSr7ESw/hkYeyH
CXakGr2pYXmO0OhS/sLG9Fvd2wKBgQDzb8jlSsIJFvLrQESVbY2TpbcV1XNZNVw4
/iRlrs7eXrCiea2KJAp1+w5Nk91DiJ10ys3uSx0SoJTP+S7bNZJL1IaiNAJK2Q4U
UNRi4Ef/76e32WD/EuvZ3/1tw0bNYiMq60I1rL6PREkIFSLGobJzMzqxJKzuFP13
gNuWmKCAYQKBgQDykTPkn8jRR8dIOQxMuOSYKi9sAs54oAGpliVmlZtUCNTWqfsq
GF7fpjx+ezFpOQjPniV8spoUTJIzVhiQj0P67Git1Vd7OpiK24iPpvqHtXsmE6FS
AqDvzfJJHnGeRkhtRVxpUAJ9GfWyjdNe+cWmBJLTOWUn2sHXVatfee1QiQKBgHyO
3O8doky+Vksy1iTTKla6uwRL9DpYCDkNKJhyqlyzfJOVyMrfCA84ByiAmP1eIJrK
zjW4b0bBrYMAkA4PyixMsRq7m9SqXP7eIN36vjxhZqK2cl/xUYZoiqan/UlHhpEG
URlfqx1pJikhj2qs/77cHpLXHjivusVzxGe47p7hAoGADguoPDryirhtsVRpmnhp
aF1tMTq3TgM60bveh9luRK0uUawwbx0UWB2DTcr3hxOUwmrT1j4Fu/5bw2jayZhl
Z4kJTgf6tjUSn44tKg+FO9duy2GItNDAytF2CfvVZC2iCPaKctyZMMvRrJHidzo8
5HIkfBHF4Qhe3gSGUXDssao=
-----END PRIVATE KEY-----
`,
  },
};

export function testCa(): X509Certificate {
  return new X509Certificate(TEST_CA_PEM);
}

export function testCredentials(keyType: TestKeyType): ServerCredentials {
  return loadServerCredentials(TEST_SERVER_PEM[keyType].cert, TEST_SERVER_PEM[keyType].key);
}
