/* test-plugin.c: one source, built into several small plugins for the
 * loader tests; TEST_PLUGIN_VARIANT selects the behaviour. */
#include "nulltool.h"

#define GOOD 1
#define ABI_MAJOR 2
#define ABI_MINOR 3
#define DUPLICATE 4
#define INIT_FAILS 5
#define ORDER 6
#define NO_ENTRY 7

static const char *const test_modes[] = { "fast", "slow", NULL };

static const NtOptionSpec test_options[] = {
  { "count", NT_OPTION_INT, "3", 1, 10, NULL, "how many" },
  { "rate", NT_OPTION_DOUBLE, "0.5", 0, 1, NULL, "a probability" },
  { "mode", NT_OPTION_CHOICE, "fast", NT_OPTION_NO_RANGE, test_modes,
    "how to run" },
  NT_OPTION_END
};

G_GNUC_UNUSED static const NtFeature good = {
  NT_KIND_ATTACK, "test-good", "a plugin that loads", test_options
};
G_GNUC_UNUSED static const NtFeature unique = {
  NT_KIND_ATTACK, "test-unique", "registered before a conflict", NULL
};
G_GNUC_UNUSED static const NtFeature order = {
  NT_KIND_ATTACK, "test-order", "from " TEST_PLUGIN_TAG, NULL
};

G_GNUC_UNUSED static gboolean
test_init (NtRegistry *registry, GError **error)
{
#if TEST_PLUGIN_VARIANT == GOOD
  return nt_registry_add (registry, &good, error);
#elif TEST_PLUGIN_VARIANT == DUPLICATE
  /* the second name is taken by the good plugin; the error is ignored on
   * purpose: the loader must refuse the plugin anyway */
  nt_registry_add (registry, &unique, NULL);
  nt_registry_add (registry, &good, NULL);
  return TRUE;
#elif TEST_PLUGIN_VARIANT == INIT_FAILS
  g_set_error (error, NT_PLUGIN_ERROR, NT_PLUGIN_ERROR_INIT,
               "deliberate failure for the tests");
  return FALSE;
#elif TEST_PLUGIN_VARIANT == ORDER
  return nt_registry_add (registry, &order, error);
#else
  return nt_registry_add (registry, &good, error);
#endif
}

#if TEST_PLUGIN_VARIANT == ABI_MAJOR
G_MODULE_EXPORT const NtPluginDescriptor nt_plugin_descriptor = {
  NT_ABI_MAJOR + 1, 0, "test-abi-major", "built for a future major ABI",
  "1.0", "MIT", test_init };
#elif TEST_PLUGIN_VARIANT == ABI_MINOR
G_MODULE_EXPORT const NtPluginDescriptor nt_plugin_descriptor = {
  NT_ABI_MAJOR, NT_ABI_MINOR + 1, "test-abi-minor",
  "built for a newer minor ABI", "1.0", "MIT", test_init };
#elif TEST_PLUGIN_VARIANT == NO_ENTRY
G_MODULE_EXPORT int nt_not_a_descriptor = 1;
#else
NT_PLUGIN_DEFINE ("test-plugin", "loader test plugin", "1.0", "MIT",
                  test_init);
#endif
