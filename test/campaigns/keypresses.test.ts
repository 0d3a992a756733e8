// Reading a campaign's keys as typed, Exotel's quoted digits, and which meanings put a number on the do-not-call list.
import { describe, expect, it } from 'vitest';
import { isDoNotCall, MAX_KEYS, parseDigits, parseKeys } from '../../src/campaigns/keypresses.js';

describe('parseKeys', () => {
  it('reads keys and meanings as a person types them', () => {
    expect(parseKeys('1=paid, 2=call me back, 9=do not call')).toEqual({
      ok: true,
      keys: { '1': 'paid', '2': 'call me back', '9': 'do not call' },
    });
    expect(parseKeys('1 : paid;\n* = repeat   the message\n# = agent')).toEqual({
      ok: true,
      keys: { '1': 'paid', '*': 'repeat the message', '#': 'agent' },
    });
    expect(parseKeys('')).toEqual({ ok: true, keys: {} });
    expect(parseKeys(' , ;')).toEqual({ ok: true, keys: {} });
  });

  it('explains bad input in a sentence', () => {
    expect(parseKeys('1 paid')).toEqual({
      ok: false,
      problem: '“1 paid” is not a key and its meaning; write them like 1=paid, 2=call me back.',
    });
    expect(parseKeys('10=paid')).toEqual({ ok: false, problem: '“10” is not a key of a phone; use one of 0-9, * or #.' });
    expect(parseKeys('a=paid')).toMatchObject({ ok: false, problem: expect.stringContaining('0-9, * or #') });
    expect(parseKeys('1=')).toEqual({ ok: false, problem: 'Key 1 has no meaning; write one after the =, like 1=paid.' });
    expect(parseKeys('1=paid, 1=not paid')).toEqual({ ok: false, problem: 'Key 1 is given twice; give each key one meaning.' });
    expect(parseKeys(`1=${'x'.repeat(41)}`)).toEqual({ ok: false, problem: 'The meaning of key 1 is 41 characters long; keep it to 40.' });
    expect(parseKeys(`1=${'x'.repeat(40)}`)).toMatchObject({ ok: true });
  });

  it('takes at most one meaning for each of the 12 keys', () => {
    const all = [...'0123456789*#'].map((k) => `${k}=m${k}`).join(', ');
    expect(parseKeys(all)).toMatchObject({ ok: true });
    expect(Object.keys((parseKeys(all) as { keys: object }).keys)).toHaveLength(MAX_KEYS);
  });
});

describe('parseDigits', () => {
  it('strips the double quotes Exotel sends', () => {
    expect(parseDigits('"1"')).toBe('1');
    expect(parseDigits('1')).toBe('1');
    expect(parseDigits(' "9" ')).toBe('9');
    expect(parseDigits('"*"')).toBe('*');
    expect(parseDigits('"#"')).toBe('#');
    expect(parseDigits('"1234"')).toBe('1234');
  });

  it('drops Gather’s finish key after an entry', () => {
    expect(parseDigits('"12#"')).toBe('12');
    expect(parseDigits('"1#"')).toBe('1');
  });

  it('is null when nothing usable was pressed', () => {
    for (const raw of [null, undefined, '', '""', '" "', 'null', '"1a"', `"${'1'.repeat(21)}"`, '"1"2"'])
      expect(parseDigits(raw), String(raw)).toBeNull();
  });
});

describe('isDoNotCall', () => {
  it('knows "do not call" in any case and spelling, and "dnc"', () => {
    for (const m of ['do not call', 'Do Not Call', 'DO-NOT-CALL', 'do_not_call', '  do  not call ', 'DNC', 'dnc'])
      expect(isDoNotCall(m), m).toBe(true);
  });

  it('is false for anything else', () => {
    for (const m of ['paid', 'call me back', 'do not call me', "don't call", '', null, undefined])
      expect(isDoNotCall(m), String(m)).toBe(false);
  });
});
