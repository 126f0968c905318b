/**
 * The CRS regression suite's setup: the release's `crs-setup.conf.example`, the suite's own
 * setup rule (detection only, every paranoia level, the limits its tests assume), then the
 * release's rule files in order.
 */
import { join } from 'node:path'
import { loadRuleSet, ruleFilesIn, type RuleSet } from '../rule-set.js'

export const SUITE_SETUP = `SecAction "id:900005,phase:1,nolog,pass,ctl:ruleEngine=DetectionOnly,ctl:ruleRemoveById=910000,\\
  setvar:tx.blocking_paranoia_level=4,setvar:tx.crs_validate_utf8_encoding=1,\\
  setvar:tx.arg_name_length=100,setvar:tx.arg_length=400,setvar:tx.total_arg_length=64000,\\
  setvar:tx.max_num_args=255,setvar:tx.max_file_size=64100,setvar:tx.combined_file_sizes=65535"`

/** `crsDir` holds `crs-setup.conf.example` and `rules/`. */
export function loadCrsForRegression(crsDir: string): RuleSet {
  return loadRuleSet([{ file: join(crsDir, 'crs-setup.conf.example') }, { text: SUITE_SETUP, name: 'regression-setup.conf' }, ...ruleFilesIn(join(crsDir, 'rules')).map((file) => ({ file }))])
}
