// Exports levitate (scripts/package-check.mjs, the compatibility workflow) does
// not compare as a whole.
module.exports = {
  changes: [
    // @grafana/runtime's `config` is a GrafanaBootConfig, a class that gains
    // and loses fields from one Grafana version to the next, so levitate
    // reports the whole object as changed. The plugin reads single fields of
    // it; scripts/package-check.mjs checks that each field it reads is
    // declared by the oldest @grafana/runtime grafanaDependency allows.
    /^config$/,
  ],
};
