// Finds the attempt a request from a call flow applet (Greeting, Passthru) belongs to, and refuses one that does not
// add up. Exotel sends the CallSid of the live call and the CustomField we gave when placing it (the attempt key,
// `<contact id>:<try>`). The two must agree with what we stored: a greeting must never read one person's details into
// another person's call. Lookups are by `_id` (contact, call record) or on the small live-lines collection.
import { parseAttemptKey, attemptKey, type CallFields } from '../store/call-model.js';
import type { ContactFields } from '../store/contact-model.js';
import type { Store } from '../store/store.js';

/** What an applet's request says about its call. */
export interface AppletCall {
  /** `CustomField` as Exotel sent it (the attempt key); null when missing. */
  customField: string | null;
  /** `CallSid`; null when missing. */
  callSid: string | null;
}

export interface CallAttempt {
  /** The attempt key (`<contact id>:<try>`), also the call record's `_id`. */
  key: string;
  try: number;
  contact: ContactFields;
  /** The call record, once the request was recorded as placed (or a keypress created it). */
  call: CallFields | null;
  /** The attempt is the contact's current one (its try is the contact's `tries`). */
  current: boolean;
}

/**
 * The attempt of an applet's request, or null when there is none or the request is not consistent with it:
 * - found by CustomField; without one, by the CallSid on the live-call line the attempt holds;
 * - when a CallSid is known for the attempt (the contact's, for its current try, else the call record's), the
 *   request's CallSid must be that one;
 * - when none is known yet (the placed call is not recorded yet, or the request's fate is still unknown), only the
 *   contact's current try is accepted.
 */
export async function findAttempt(store: Store, call: AppletCall): Promise<CallAttempt | null> {
  let parsed = parseAttemptKey(call.customField);
  if (!parsed && call.callSid) {
    const line = await store.LiveLine.findOne({ sid: call.callSid }, { holder: 1 }).lean();
    parsed = parseAttemptKey(line?.holder);
  }
  if (!parsed || parsed.try < 1) return null;
  const contact = (await store.Contact.findById(parsed.contactId).lean()) as ContactFields | null;
  if (!contact || parsed.try > contact.tries) return null;
  const key = attemptKey(contact._id, parsed.try);
  const record = (await store.Call.findById(key).lean()) as CallFields | null;
  const current = contact.tries === parsed.try;
  const knownSid = (current ? contact.call_sid : null) ?? record?.sid ?? null;
  const consistent = call.callSid && knownSid ? call.callSid === knownSid : current;
  return consistent ? { key, try: parsed.try, contact, call: record, current } : null;
}
