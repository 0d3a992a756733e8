import type { ExotelCall } from '../exotel/exotel-call.js';
import type { ExotelClient } from '../exotel/exotel-client.js';

export interface DialRequest {
  /** Normalised number, 91XXXXXXXXXX. */
  phone: string;
  callerId: string;
  flowUrl: string;
  statusCallbackUrl?: string;
  /** Echoed back by Exotel: the contact id. */
  customField: string;
}

/** What the engine needs from Exotel; the live client and the rehearsal dialer both provide it. */
export interface Dialer {
  /** True when nothing is really dialled. */
  readonly rehearsal: boolean;
  placeCall(request: DialRequest, signal?: AbortSignal): Promise<ExotelCall>;
  getCall(callSid: string, signal?: AbortSignal): Promise<ExotelCall>;
  /** Calls from these numbers (at most 5, 91XXXXXXXXXX) created at or after `createdAfter`. */
  listCalls(phones: string[], createdAfter: Date, signal?: AbortSignal): Promise<ExotelCall[]>;
  close(): Promise<void>;
}

/** Exotel's own form of an Indian number in filters: 0 + 10 digits. */
function exotelForm(phone: string): string {
  return `0${phone.slice(-10)}`;
}

export function exotelDialer(client: ExotelClient): Dialer {
  return {
    rehearsal: false,
    placeCall: (r, signal) =>
      client.placeCall(
        {
          from: `+${r.phone}`,
          callerId: r.callerId,
          flowUrl: r.flowUrl,
          customField: r.customField,
          ...(r.statusCallbackUrl ? { statusCallbackUrl: r.statusCallbackUrl } : {}),
        },
        signal,
      ),
    getCall: (sid, signal) => client.getCall(sid, signal),
    listCalls: (phones, createdAfter, signal) => client.listCalls({ from: phones.map(exotelForm), createdAfter }, signal),
    close: () => client.close(),
  };
}
