// The page's colours meet WCAG 2.1 AA: every text colour of each theme
// against every surface it is drawn on has a contrast ratio of at least
// 4.5:1, and focus rings and borders of controls at least 3:1.

import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, it} from 'node:test';
import {WWW} from './support.mjs';

/** AA minimum for normal text. */
const TEXT_RATIO = 4.5;

/** AA minimum for user-interface components such as focus outlines. */
const UI_RATIO = 3;

const TEXTS = ['--fg', '--muted', '--accent', '--critical', '--warning',
  '--info'];
const SURFACES = ['--bg', '--panel', '--code-bg'];

/** The custom properties of the first rule whose selector matches. */
function themeVariables(css, selector) {
  const start = css.indexOf(`${selector} {`);
  assert.ok(start >= 0, `no rule for ${selector}`);
  const body = css.slice(start, css.indexOf('}', start));
  const vars = {};
  for (const m of body.matchAll(/(--[a-z-]+):\s*(#[0-9a-f]{6})/gi)) {
    vars[m[1]] = m[2];
  }
  return vars;
}

function luminance(hex) {
  const channel = (i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

const css = readFileSync(join(WWW, 'style.css'), 'utf8');
const THEMES = {
  light: themeVariables(css, ':root'),
  dark: themeVariables(css, ":root[data-theme='dark']"),
};

describe('colour contrast', () => {
  for (const [theme, vars] of Object.entries(THEMES)) {
    it(`${theme}: text on every surface passes AA`, () => {
      for (const text of TEXTS) {
        for (const surface of SURFACES) {
          const ratio = contrast(vars[text], vars[surface]);
          assert.ok(ratio >= TEXT_RATIO,
              `${theme} ${text} ${vars[text]} on ${surface} ` +
              `${vars[surface]}: ${ratio.toFixed(2)}`);
        }
      }
    });

    it(`${theme}: the focus ring stands out`, () => {
      for (const surface of SURFACES) {
        const ratio = contrast(vars['--focus'], vars[surface]);
        assert.ok(ratio >= UI_RATIO,
            `${theme} focus on ${surface}: ${ratio.toFixed(2)}`);
      }
    });
  }
});
