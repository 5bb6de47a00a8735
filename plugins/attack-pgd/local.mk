# Iterative attacks: projected gradient descent and BIM.
plugins_LTLIBRARIES += plugins/attack-pgd/nt-attack-pgd.la
plugins_attack_pgd_nt_attack_pgd_la_SOURCES = \
	plugins/attack-pgd/nt-attack-pgd.c
plugins_attack_pgd_nt_attack_pgd_la_LDFLAGS = $(NT_PLUGIN_LDFLAGS)
plugins_attack_pgd_nt_attack_pgd_la_LIBADD = $(NT_PLUGIN_LIBADD)
