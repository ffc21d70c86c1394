/*
 * Name and kind grammars. Length limits are checked before the machines run; the machines
 * decide shape only. Classes are disjoint, so exactly one leaving action fires on acceptance.
 */
#include <string.h>

#include "names.h"
#include "psd/limits.h"

/* Ragel emits tables that a small machine may not use. */
#pragma GCC diagnostic ignored "-Wunused-const-variable"

%%{
	machine psd_name;
	alphtype unsigned char;

	namechar = (0x21..0x7e) - [/:];
	port = 'Ethernet' (namechar - '.')*;
	subif = 'Ethernet' (namechar - '.')* '.' namechar*;
	portchannel = 'PortChannel' namechar*;
	other = (namechar+ - ('Ethernet' namechar* | 'PortChannel' namechar*)) - ('.' | '..');

	main := port %{ cls = PSD_NAME_PORT; }
	      | subif %{ cls = PSD_NAME_SUBIF; }
	      | portchannel %{ cls = PSD_NAME_PORTCHANNEL; }
	      | other %{ cls = PSD_NAME_OTHER; };
}%%

%% write data noerror noentry;

enum psd_name_class psd_name_classify(const char *name, size_t len)
{
	enum psd_name_class cls = PSD_NAME_INVALID;
	const unsigned char *p = (const unsigned char *)name;
	const unsigned char *pe = p + len;
	const unsigned char *eof = pe;
	int cs;

	if (len == 0 || len > PSD_IFNAME_LEN_MAX)
		return PSD_NAME_INVALID;
	%% write init;
	%% write exec;
	return cs >= psd_name_first_final ? cls : PSD_NAME_INVALID;
}

%%{
	machine psd_kind;
	alphtype unsigned char;

	kindchar = 0x21..0x7e;
	main := 'team' %{ cls = PSD_KIND_TEAM; }
	      | (kindchar+ - 'team') %{ cls = PSD_KIND_OTHER; };
}%%

%% write data noerror noentry;

enum psd_kind_class psd_kind_classify(const char *kind, size_t len)
{
	enum psd_kind_class cls = PSD_KIND_INVALID;
	const unsigned char *p = (const unsigned char *)kind;
	const unsigned char *pe = p + len;
	const unsigned char *eof = pe;
	int cs;

	if (len == 0 || len > PSD_KIND_LEN_MAX)
		return PSD_KIND_INVALID;
	%% write init;
	%% write exec;
	return cs >= psd_kind_first_final ? cls : PSD_KIND_INVALID;
}

size_t psd_name_parent_len(const char *name, size_t len)
{
	const char *dot = memchr(name, '.', len);
	return dot != NULL ? (size_t)(dot - name) : len;
}
