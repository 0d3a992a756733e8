import { createRequire } from 'node:module';
import { GlobalFonts } from '@napi-rs/canvas';

/**
 * The family name the chart draws with. A name of our own rather than "Inter", so a system font of that name (or a
 * missing one: the Docker image has no fonts at all) can never stand in for the files registered here.
 */
export const CHART_FONT_FAMILY = 'Campaign Bot Inter';

/** Inter (SIL Open Font License) as TTF files, shipped in the npm package @expo-google-fonts/inter. */
const FONT_FILES = [
  '@expo-google-fonts/inter/400Regular/Inter_400Regular.ttf',
  '@expo-google-fonts/inter/600SemiBold/Inter_600SemiBold.ttf',
];

let registered = false;

/** Registers the bundled font files with the canvas once per process; returns the family name to draw with. */
export function chartFont(): string {
  if (registered) return CHART_FONT_FAMILY;
  const require = createRequire(import.meta.url);
  for (const file of FONT_FILES) {
    const path = require.resolve(file);
    if (!GlobalFonts.registerFromPath(path, CHART_FONT_FAMILY)) throw new Error(`The chart font ${path} could not be loaded`);
  }
  registered = true;
  return CHART_FONT_FAMILY;
}
