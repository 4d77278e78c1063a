/**
 * Types the TCP layer and its connections share (below both, so that neither imports the other's
 * module for them): connection state, connection options, why a connection closed, the counters.
 */

export type TcpState =
  | 'SYN-SENT'
  | 'SYN-RECEIVED'
  | 'ESTABLISHED'
  | 'FIN-WAIT-1'
  | 'FIN-WAIT-2'
  | 'CLOSE-WAIT'
  | 'CLOSING'
  | 'LAST-ACK'
  | 'TIME-WAIT'
  | 'CLOSED';

export interface TcpConnectionOptions {
  sendBufferBytes: number;
  receiveBufferBytes: number;
  /** Our window scale shift (0–14), announced in the SYN. */
  windowScale: number;
  timestamps: boolean;
  sackPermitted: boolean;
  initialRtoMs: number;
  minRtoMs: number;
  maxRtoMs: number;
  /** Timeouts in a row before the connection is abandoned (RST sent, `onClose('timeout')`). */
  maxRetransmits: number;
  timeWaitMs: number;
}

export type TcpCloseReason = 'closed' | 'reset' | 'timeout' | 'aborted';

export interface TcpCounters {
  received: number;
  sent: number;
  droppedTruncated: number;
  droppedBadDataOffset: number;
  droppedBadChecksum: number;
  droppedBadOptions: number;
  /** Segments for no connection and no listener (answered with RST unless they were RSTs). */
  droppedNoConnection: number;
  /** Segments outside the receive window (answered with an ACK, RFC 9293 §3.10.7.4). */
  droppedOutOfWindow: number;
  /** In-window segments that do not start at RCV.NXT, kept until the gap before them is filled. */
  queuedOutOfOrder: number;
  /** Out-of-order segments dropped: a duplicate, or more than a window's worth queued. */
  droppedOutOfOrder: number;
  /** Segments that could not be acted on in their state (a bad ACK in SYN-SENT, a SYN in a synchronized state…). */
  droppedUnacceptable: number;
  resetsSent: number;
  resetsReceived: number;
  retransmitTimeouts: number;
  segmentsRetransmitted: number;
  fastRetransmits: number;
  windowProbes: number;
  /** Times a segment shorter than the MSS was held back while data was in flight (sender SWS avoidance, RFC 9293 §3.8.6.2.1). */
  shortSegmentsDeferred: number;
  connectionsOpened: number;
  connectionsAccepted: number;
  connectionsClosed: number;
  /** Connections abandoned after `maxRetransmits` timeouts. */
  connectionsTimedOut: number;
}
