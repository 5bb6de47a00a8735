# The study's attack: the fast gradient sign method.
plugins_LTLIBRARIES += plugins/attack-fgsm/nt-attack-fgsm.la
plugins_attack_fgsm_nt_attack_fgsm_la_SOURCES = \
	plugins/attack-fgsm/nt-attack-fgsm.c
plugins_attack_fgsm_nt_attack_fgsm_la_LDFLAGS = $(NT_PLUGIN_LDFLAGS)
plugins_attack_fgsm_nt_attack_fgsm_la_LIBADD = $(NT_PLUGIN_LIBADD)
