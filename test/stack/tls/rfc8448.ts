/**
 * RFC 8448 §3 "Simple 1-RTT Handshake" (TLS_AES_128_GCM_SHA256, X25519, RSA-1024 certificate):
 * values printed in the RFC, written down as hex. Sizes are asserted in key-schedule.test.ts so a
 * copying mistake shows up as a size mismatch first.
 */

export function hex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

export const RFC8448 = {
  clientPrivateKey: hex('49 af 42 ba 7f 79 94 85 2d 71 3e f2 78 4b cb ca a7 91 1d e2 6a dc 56 42 cb 63 45 40 e7 ea 50 05'),
  clientPublicKey: '99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c',
  serverPublicKey: hex('c9 82 88 76 11 20 95 fe 66 76 2b db f7 c6 72 e1 56 d6 cc 25 3b 83 3d f1 dd 69 b1 b0 4e 75 1f 0f'),
  sharedSecret: '8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d',
  earlySecret: '33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a',
  derivedForHandshake: '6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba',
  handshakeSecret: '1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac',
  helloHash: '860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8',
  clientHandshakeSecret: 'b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21',
  serverHandshakeSecret: 'b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38',
  serverHandshakeKey: '3fce516009c21727d0f2e4e86ee403bc',
  serverHandshakeIv: '5d313eb2671276ee13000b30',
  clientHandshakeKey: 'dbfaa693d1762c5b666af5d950258d01',
  clientHandshakeIv: '5bd3c71b836e0b76bb73265f',
  masterSecret: '18df06843d13a08bf2a449844c5f8a478001bc4d4c627984d5a41da8d0402919',
  serverFinishedHash: '9608102a0f1ccc6db6250b7b7e417b1a000eaada3daae4777a7686c9ff83df13',
  clientApplicationSecret: '9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5',
  serverApplicationSecret: 'a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643',
  clientApplicationKey: '17422dda596ed5d9acd890e3c63f5051',
  clientApplicationIv: '5b78923dee08579033e523d9',
  serverApplicationKey: '9f02283b6c9c07efc26bb9f2ac92e356',
  serverApplicationIv: 'cf782b88dd83549aadf1e984',

  clientHello: hex(`01 00 00 c0 03 03 cb 34 ec b1 e7 81 63 ba 1c 38
       c6 da cb 19 6a 6d ff a2 1a 8d 99 12 ec 18 a2 ef
       62 83 02 4d ec e7 00 00 06 13 01 13 03 13 02 01
       00 00 91 00 00 00 0b 00 09 00 00 06 73 65 72 76
       65 72 ff 01 00 01 00 00 0a 00 14 00 12 00 1d 00
       17 00 18 00 19 01 00 01 01 01 02 01 03 01 04 00
       23 00 00 00 33 00 26 00 24 00 1d 00 20 99 38 1d
       e5 60 e4 bd 43 d2 3d 8e 43 5a 7d ba fe b3 c0 6e
       51 c1 3c ae 4d 54 13 69 1e 52 9a af 2c 00 2b 00
       03 02 03 04 00 0d 00 20 00 1e 04 03 05 03 06 03
       02 03 08 04 08 05 08 06 04 01 05 01 06 01 02 01
       04 02 05 02 06 02 02 02 00 2d 00 02 01 01 00 1c
       00 02 40 01`),
  serverHello: hex(`02 00 00 56 03 03 a6 af 06 a4 12
       18 60 dc 5e 6e 60 24 9c d3 4c 95 93 0c 8a c5 cb
       14 34 da c1 55 77 2e d3 e2 69 28 00 13 01 00 00
       2e 00 33 00 24 00 1d 00 20 c9 82 88 76 11 20 95
       fe 66 76 2b db f7 c6 72 e1 56 d6 cc 25 3b 83 3d
       f1 dd 69 b1 b0 4e 75 1f 0f 00 2b 00 02 03 04`),
  encryptedExtensions: hex(`08 00 00 24 00 22 00 0a 00 14 00 12 00 1d 00 17
       00 18 00 19 01 00 01 01 01 02 01 03 01 04 00 1c
       00 02 40 01 00 00 00 00`),
  certificate: hex(`0b 00 01 b9 00 00 01 b5 00 01 b0 30 82 01 ac 30
       82 01 15 a0 03 02 01 02 02 01 02 30 0d 06 09 2a
       86 48 86 f7 0d 01 01 0b 05 00 30 0e 31 0c 30 0a
       06 03 55 04 03 13 03 72 73 61 30 1e 17 0d 31 36
       30 37 33 30 30 31 32 33 35 39 5a 17 0d 32 36 30
       37 33 30 30 31 32 33 35 39 5a 30 0e 31 0c 30 0a
       06 03 55 04 03 13 03 72 73 61 30 81 9f 30 0d 06
       09 2a 86 48 86 f7 0d 01 01 01 05 00 03 81 8d 00
       30 81 89 02 81 81 00 b4 bb 49 8f 82 79 30 3d 98
       08 36 39 9b 36 c6 98 8c 0c 68 de 55 e1 bd b8 26
       d3 90 1a 24 61 ea fd 2d e4 9a 91 d0 15 ab bc 9a
       95 13 7a ce 6c 1a f1 9e aa 6a f9 8c 7c ed 43 12
       09 98 e1 87 a8 0e e0 cc b0 52 4b 1b 01 8c 3e 0b
       63 26 4d 44 9a 6d 38 e2 2a 5f da 43 08 46 74 80
       30 53 0e f0 46 1c 8c a9 d9 ef bf ae 8e a6 d1 d0
       3e 2b d1 93 ef f0 ab 9a 80 02 c4 74 28 a6 d3 5a
       8d 88 d7 9f 7f 1e 3f 02 03 01 00 01 a3 1a 30 18
       30 09 06 03 55 1d 13 04 02 30 00 30 0b 06 03 55
       1d 0f 04 04 03 02 05 a0 30 0d 06 09 2a 86 48 86
       f7 0d 01 01 0b 05 00 03 81 81 00 85 aa d2 a0 e5
       b9 27 6b 90 8c 65 f7 3a 72 67 17 06 18 a5 4c 5f
       8a 7b 33 7d 2d f7 a5 94 36 54 17 f2 ea e8 f8 a5
       8c 8f 81 72 f9 31 9c f3 6b 7f d6 c5 5b 80 f2 1a
       03 01 51 56 72 60 96 fd 33 5e 5e 67 f2 db f1 02
       70 2e 60 8c ca e6 be c1 fc 63 a4 2a 99 be 5c 3e
       b7 10 7c 3c 54 e9 b9 eb 2b d5 20 3b 1c 3b 84 e0
       a8 b2 f7 59 40 9b a3 ea c9 d9 1d 40 2d cc 0c c8
       f8 96 12 29 ac 91 87 b4 2b 4d e1 00 00`),
  certificateVerify: hex(`0f 00 00 84 08 04 00 80 5a 74 7c 5d 88 fa 9b d2
       e5 5a b0 85 a6 10 15 b7 21 1f 82 4c d4 84 14 5a
       b3 ff 52 f1 fd a8 47 7b 0b 7a bc 90 db 78 e2 d3
       3a 5c 14 1a 07 86 53 fa 6b ef 78 0c 5e a2 48 ee
       aa a7 85 c4 f3 94 ca b6 d3 0b be 8d 48 59 ee 51
       1f 60 29 57 b1 54 11 ac 02 76 71 45 9e 46 44 5c
       9e a5 8c 18 1e 81 8e 95 b8 c3 fb 0b f3 27 84 09
       d3 be 15 2a 3d a5 04 3e 06 3d da 65 cd f5 ae a2
       0d 53 df ac d4 2f 74 f3`),
  serverFinished: hex(`14 00 00 20 9b 9b 14 1d 90 63 37 fb d2 cb dc e7
       1d f4 de da 4a b4 2c 30 95 72 cb 7f ff ee 54 54
       b7 8f 07 18`),
  /** The client's Finished as a record under the client handshake key (sequence 0). */
  clientFinishedRecord: hex(`17 03 03 00 35 75 ec 4d c2 38 cc e6 0b 29 80 44
       a7 1e 21 9c 56 cc 77 b0 51 7f e9 b9 3c 7a 4b fc
       44 d8 7f 38 f8 03 38 ac 98 fc 46 de b3 84 bd 1c
       ae ac ab 68 67 d7 26 c4 05 46`),
  /** 50 bytes 00 01 … 31 from the client under its application key (sequence 0). */
  clientApplicationRecord: hex(`17 03 03 00 43 a2 3f 70 54 b6 2c 94 d0 af fa fe
       82 28 ba 55 cb ef ac ea 42 f9 14 aa 66 bc ab 3f
       2b 98 19 a8 a5 b4 6b 39 5b d5 4a 9a 20 44 1e 2b
       62 97 4e 1f 5a 62 92 a2 97 70 14 bd 1e 3d ea e6
       3a ee bb 21 69 49 15 e4`),
  /** The same 50 bytes from the server (sequence 1: its NewSessionTicket was record 0). */
  serverApplicationRecord: hex(`17 03 03 00 43 2e 93 7e 11 ef 4a c7 40 e5 38 ad
       36 00 5f c4 a4 69 32 fc 32 25 d0 5f 82 aa 1b 36
       e3 0e fa f9 7d 90 e6 df fc 60 2d cb 50 1a 59 a8
       fc c4 9c 4b f2 e5 f0 a2 1c 00 47 c2 ab f3 32 54
       0d d0 32 e1 67 c2 95 5d`),
};
