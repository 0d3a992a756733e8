// Small text helpers shared by the Block Kit builders. Pure: no clock unless passed one.

/** 919876543210 → +91 98765 43210 (people in the channel call these numbers back, so they see them whole). */
export function formatPhone(phone: string): string {
  return /^91\d{10}$/.test(phone) ? `+91 ${phone.slice(2, 7)} ${phone.slice(7)}` : phone;
}

/** 919876543210 → +91 ••••• •3210: what channel messages show unless SHOW_FULL_NUMBERS is set. */
export function maskedPhone(phone: string): string {
  return /^91\d{10}$/.test(phone) ? `+91 ••••• •${phone.slice(-4)}` : `${'•'.repeat(Math.max(0, phone.length - 4))}${phone.slice(-4)}`;
}

/** How numbers are shown in channel messages. */
export type ShowPhone = (phone: string) => string;

export function channelPhone(showFullNumbers: boolean): ShowPhone {
  return showFullNumbers ? formatPhone : maskedPhone;
}

/** A bar of `width` cells, filled in proportion. */
export function progressBar(done: number, total: number, width = 20): string {
  const ratio = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const filled = Math.round(ratio * width);
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

export function percent(done: number, total: number): string {
  return total > 0 ? `${Math.floor((done / total) * 100)}%` : '0%';
}

/** 3_723_000 → "1 h 2 min"; under a minute → "under a minute". */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 60_000) return 'under a minute';
  const minutes = Math.round(ms / 60_000);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h > 0 ? `${h} h${m ? ` ${m} min` : ''}` : `${m} min`;
}

/** An estimate: "about 5 min", or "less than a minute". */
export function aboutDuration(ms: number): string {
  const d = duration(ms);
  return d === 'under a minute' ? 'less than a minute' : `about ${d}`;
}

/** A time Slack shows in each reader's own time zone. */
export function slackDate(date: Date, format = '{date_short_pretty} {time}'): string {
  const seconds = Math.floor(date.getTime() / 1000);
  return `<!date^${seconds}^${format}|${date.toISOString().replace(/\.\d+Z$/, 'Z')}>`;
}

/** Escapes what Slack's mrkdwn treats as control characters in user-provided text. */
export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cuts text to `max` characters, marking the cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

export const STATUS_LABEL: Record<string, string> = {
  draft: 'Draft',
  scheduled: 'Scheduled',
  running: 'Running',
  paused: 'Paused',
  completed: 'Completed',
  stopped: 'Stopped',
  expired: 'Expired',
};

export const STATUS_EMOJI: Record<string, string> = {
  draft: ':memo:',
  scheduled: ':calendar:',
  running: ':arrow_forward:',
  paused: ':double_vertical_bar:',
  completed: ':white_check_mark:',
  stopped: ':black_square_for_stop:',
  expired: ':hourglass:',
};
