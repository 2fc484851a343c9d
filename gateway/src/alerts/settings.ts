import { type Config, supervisionByKind } from '../config';
import type { AlertSettings } from '../rules/types';

/** The rules' settings, from the one parsed configuration. */
export function alertSettings(c: Config): AlertSettings {
  return {
    ackSec: { critical: c.ALERT_ACK_SEC_CRITICAL, major: c.ALERT_ACK_SEC_MAJOR, minor: c.ALERT_ACK_SEC_MINOR, warning: c.ALERT_ACK_SEC_WARNING },
    onSiteMin: c.ON_SITE_MINUTES,
    chain: c.ESCALATION_CHAIN.map((l) => l.name),
    supervisionSec: supervisionByKind(c),
    supervisionGraceSec: c.SUPERVISION_GRACE_SEC,
    clockDriftToleranceSec: c.CLOCK_DRIFT_TOLERANCE_SEC,
    welfareSilenceHours: c.WELFARE_SILENCE_HOURS,
    sunsetMarginMin: c.SUNSET_MARGIN_MIN,
    streetlight: {
      litMinW: c.STREETLIGHT_LIT_MIN_W,
      maxW: c.STREETLIGHT_MAX_W,
      standbyMaxW: c.STREETLIGHT_STANDBY_MAX_W,
      voltageMin: c.STREETLIGHT_VOLTAGE_MIN,
      voltageMax: c.STREETLIGHT_VOLTAGE_MAX,
    },
    disabledTypes: new Set(c.ALERT_DISABLED_TYPES),
  };
}
