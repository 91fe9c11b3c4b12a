/* Document types as data: every built-in type loads; the loader's located errors (syntax,
 * unknown and missing keys, wrong types, names that refer to nothing, limits, aliases); a
 * directory's types join and replace the built-in ones; and the registry formats the types
 * draw on (licence numbers, plates, VINs). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "documents/doctype.h"
#include "registries/records.h"
#include "registries/transport.h"

static struct ps_str S(const char *s)
{
    return ps_str_from_cstr(s);
}

static const char *const builtin_ids[] = {
    "ua.birth-certificate", "ua.driving-licence",  "ua.fop-extract",
    "ua.id-card",           "ua.idp-certificate",  "ua.marriage-certificate",
    "ua.passport",          "ua.taxpayer-card",    "ua.vehicle-registration",
};

Test(doctype, every_builtin_type_loads)
{
    struct ps_doctypes *set = NULL;
    struct ps_diag d = {0};
    cr_assert_eq(ps_doctypes_load(NULL, &set, &d), PS_OK, "%s", d.message);
    cr_assert_eq(ps_doctypes_count(set), 9);
    for (size_t i = 0; i < 9; i++) {
        const struct ps_doctype *t = ps_doctypes_at(set, i);
        cr_assert_str_eq(t->id, builtin_ids[i]);
        cr_assert_gt(t->nclaims, 0);
        cr_assert_gt(t->nsections, 0);
        bool disclosed = false;
        for (size_t k = 0; k < t->nclaims; k++)
            disclosed |= t->claims[k].disclose;
        cr_assert(disclosed, "%s discloses nothing by default", t->id);
    }
    const struct ps_doctype *dl = ps_doctypes_find(set, S("ua.driving-licence"));
    cr_assert_not_null(dl);
    cr_assert_str_eq(dl->issuer, "hsc-mvs");
    cr_assert_str_eq(dl->source->name, "driving-licence");
    cr_assert(dl->suspension && dl->photo);
    cr_assert_eq(dl->validity, PS_VALID_FIELD);
    int c = ps_doctype_claim_index(dl, S("categories"));
    cr_assert_geq(c, 0);
    cr_assert_eq(dl->claims[c].from, PS_FROM_RECORD);
    cr_assert_str_eq(dl->claims[c].label.uk, "Категорії");
    cr_assert_null(ps_doctypes_find(set, S("ua.nothing")));
    ps_doctypes_free(set);
}

static const char good[] = "id: x.test\n"
                           "version: 2\n"
                           "name: {uk: Тест, en: Test}\n"
                           "issuer: mvs\n"
                           "source: vehicle\n"
                           "validity: {years: 3}\n"
                           "claims:\n"
                           "  - name: plate\n"
                           "    type: text\n"
                           "    from: record.plate\n"
                           "    disclose: true\n"
                           "    label: {uk: Номер, en: Plate}\n"
                           "  - {name: adult, type: bool, from: derived.over_18,\n"
                           "     label: {uk: Повнолітній, en: Adult}}\n";

/* Parses text and expects PS_ERR_INVALID with exactly want as the message. */
static void bad(const char *text, const char *want)
{
    struct ps_arena *a = ps_arena_new(1 << 20);
    struct ps_doctype t;
    struct ps_diag d = {0};
    enum ps_err e = ps_doctype_parse("t.yaml", text, strlen(text), a, &t, &d);
    cr_assert_eq(e, PS_ERR_INVALID, "accepted: %s", text);
    cr_assert_str_eq(d.message, want);
    ps_arena_free(a);
}

/* good with one line replaced (the first line starting with prefix). */
static char *edit(const char *prefix, const char *line)
{
    static char out[4096];
    const char *at = strstr(good, prefix);
    cr_assert_not_null(at);
    const char *end = strchr(at, '\n') + 1;
    int n = snprintf(out, sizeof out, "%.*s%s%s", (int)(at - good), good, line, end);
    cr_assert(n > 0 && (size_t)n < sizeof out);
    return out;
}

Test(doctype, parses_a_type)
{
    struct ps_arena *a = ps_arena_new(1 << 20);
    struct ps_doctype t;
    struct ps_diag d = {0};
    cr_assert_eq(ps_doctype_parse("t.yaml", good, strlen(good), a, &t, &d), PS_OK, "%s",
                 d.message);
    cr_assert_str_eq(t.id, "x.test");
    cr_assert_eq(t.version, 2);
    cr_assert_eq(t.validity, PS_VALID_YEARS);
    cr_assert_eq(t.validity_n, 3);
    cr_assert_eq(t.nclaims, 2);
    cr_assert(t.claims[0].disclose && !t.claims[1].disclose);
    cr_assert_eq(t.claims[1].from, PS_FROM_DERIVED);
    cr_assert_eq(t.claims[1].field, PS_DERIVED_OVER_18);
    cr_assert_eq(t.nsections, 1); /* the default layout: everything */
    cr_assert_eq(t.sections[0].n, 2);
    ps_arena_free(a);
}

Test(doctype, located_errors)
{
    bad("id: [1\n", "t.yaml:2:1: flow sequence without a closing bracket");
    bad("", "t.yaml: not a YAML document");
    bad("- 1\n", "t.yaml:1:1: a document type must be a mapping of keys to values");
    bad(edit("version", "version: 0\n"), "t.yaml:2:10: version must be a whole number from 1 to 1000000");
    bad(edit("issuer", "isuer: mvs\n"), "t.yaml:4:1: unknown key \"isuer\" in a document type");
    bad(edit("issuer", "\n"), "t.yaml:1:1: a document type needs \"issuer\"");
    bad(edit("id:", "id: X.test\n"), "t.yaml:1:5: id may hold only a-z, 0-9 and \".-\" (not first)");
    bad(edit("source", "source: spaceship\n"),
        "t.yaml:5:9: unknown source; the sources are person, passport, driving-licence, "
        "vehicle, idp, birth, marriage, sole-proprietor");
    bad(edit("validity", "validity: {years: 3, days: 2}\n"),
        "t.yaml:6:1: validity is one of years: N, days: N or field: NAME");
    bad(edit("validity", "validity: {field: colourr}\n"),
        "t.yaml:6:19: source vehicle has no field \"colourr\"");
    bad(edit("    from", "    from: record.wings\n"),
        "t.yaml:10:11: claims[0]: unknown field \"record.wings\" of source vehicle");
    bad(edit("    from", "    from: derived.over_18\n"),
        "t.yaml:10:11: claims[0]: derived.over_18 is of type bool, not text");
    bad(edit("    type", "    type: float\n"),
        "t.yaml:9:11: claims[0]: type is one of text, date, int, bool, bytes");
    bad(edit("    disclose", "    disclose: yes\n"),
        "t.yaml:11:15: claims[0]: disclose must be true or false");
    bad(edit("  - {name: adult", "  - {name: plate, type: bool, from: derived.over_18,\n"),
        "t.yaml:13:6: claims[1]: claim \"plate\" is defined twice");
    bad(edit("    label", "    label: {uk: Номер}\n"), "t.yaml:12:5: claims[0]: label needs \"en\"");
    bad("id: x\n  \x01", "t.yaml:2:3: character U+0001 is not allowed");
    bad("id: \xcd\n", "t.yaml:1:5: not UTF-8 text");
    bad("%\xcdl\xb6", "t.yaml:1:2: not UTF-8 text"); /* made libfyaml loop (fuzz) */
    bad("id: \xed\xa0\x80\n", "t.yaml:1:5: not UTF-8 text"); /* a surrogate */
    bad("? id:\t ?$-", "t.yaml:1:6: tabs are not allowed: indent with spaces"); /* crashed it */
    bad(edit("    label", "    label: {uk: \"a\\tb\", en: x}\n"),
        "t.yaml:12:18: claims[0]: uk contains a control character");
}

Test(doctype, photo_layout_and_aliases)
{
    char text[4096];
    snprintf(text, sizeof text, "%sphoto: true\n", good);
    bad(text, "t.yaml:15:8: photo: true needs a claim from derived.photo");
    snprintf(text, sizeof text, "%slayout:\n  - section: {uk: А, en: A}\n    claims: [plate, "
                                "nope]\n", good);
    bad(text, "t.yaml:17:21: layout[0]: no claim \"nope\"");
    snprintf(text, sizeof text, "%slayout:\n  - section: {uk: А, en: A}\n    claims: [plate]\n"
                                "  - section: {uk: Б, en: B}\n    claims: [plate]\n", good);
    bad(text, "t.yaml:19:14: layout[1]: claim \"plate\" is laid out twice");
    char *alias = edit("version", "version: *a\n");
    memcpy(text, alias, strlen(alias) + 1);
    char *id = strstr(text, "x.test");
    memmove(id + 3, id, strlen(id) + 1);
    memcpy(id, "&a ", 3);
    bad(text, "t.yaml:2:11: aliases are not allowed");
}

Test(doctype, limits)
{
    char *big = malloc(PS_DOCTYPE_FILE_MAX + 2);
    memset(big, '#', PS_DOCTYPE_FILE_MAX + 1);
    big[PS_DOCTYPE_FILE_MAX + 1] = '\0';
    struct ps_arena *a = ps_arena_new(1 << 20);
    struct ps_doctype t;
    struct ps_diag d = {0};
    cr_assert_eq(ps_doctype_parse("t.yaml", big, PS_DOCTYPE_FILE_MAX + 1, a, &t, &d),
                 PS_ERR_LIMIT);
    free(big);
    /* 65 claims */
    const size_t cap = 65 * 120 + 512;
    char *many = malloc(cap);
    size_t n = (size_t)snprintf(many, 512, "id: x.t\nversion: 1\nname: {uk: a, en: a}\nissuer: "
                                           "mvs\nsource: person\nvalidity: {days: 1}\nclaims:\n");
    for (int i = 0; i < 65; i++) {
        int k = snprintf(many + n, cap - n, "  - {name: c%d, type: text, from: person.surname, "
                                            "label: {uk: a, en: a}}\n", i);
        cr_assert(k > 0 && (size_t)k < cap - n);
        n += (size_t)k;
    }
    cr_assert_eq(ps_doctype_parse("t.yaml", many, n, a, &t, &d), PS_ERR_INVALID);
    cr_assert_str_eq(d.message, "t.yaml:7:1: a type has 1 to 64 claims");
    /* deep nesting is libfyaml's to refuse */
    char deep[2048];
    memset(deep, '[', 1500);
    deep[1500] = '\0';
    cr_assert_eq(ps_doctype_parse("t.yaml", deep, 1500, a, &t, &d), PS_ERR_INVALID);
    free(many);
    ps_arena_free(a);
}

Test(doctype, a_directory_adds_and_replaces)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/tmp/ps-doctypes-%d", (int)getpid());
    mkdir(dir, 0700);
    char path[128];
    snprintf(path, sizeof path, "%s/test.yaml", dir);
    FILE *f = fopen(path, "w");
    fputs(good, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/taxpayer.yaml", dir);
    f = fopen(path, "w");
    fputs("id: ua.taxpayer-card\nversion: 7\nname: {uk: a, en: b}\nissuer: dps\nsource: person\n"
          "validity: {years: 1}\nclaims:\n  - {name: rnokpp, type: text, from: person.rnokpp,\n"
          "     disclose: true, label: {uk: a, en: b}}\n", f);
    fclose(f);
    struct ps_doctypes *set = NULL;
    struct ps_diag d = {0};
    cr_assert_eq(ps_doctypes_load(dir, &set, &d), PS_OK, "%s", d.message);
    cr_assert_eq(ps_doctypes_count(set), 10);
    cr_assert_not_null(ps_doctypes_find(set, S("x.test")));
    cr_assert_eq(ps_doctypes_find(set, S("ua.taxpayer-card"))->version, 7);
    ps_doctypes_free(set);
    /* a broken file stops the load, with its path */
    f = fopen(path, "w");
    fputs(edit("version", "version: x\n"), f);
    fclose(f);
    cr_assert_eq(ps_doctypes_load(dir, &set, &d), PS_ERR_INVALID);
    cr_assert(strstr(d.message, "taxpayer.yaml:2:10: version must be") != NULL, "%s", d.message);
    unlink(path);
    snprintf(path, sizeof path, "%s/test.yaml", dir);
    unlink(path);
    rmdir(dir);
}

/* ---- the registry formats ---- */

Test(formats, licence_numbers_and_categories)
{
    struct ps_diag d;
    cr_assert_eq(ps_licence_number_validate(S("ВХА123456"), &d), PS_OK);
    cr_assert_eq(ps_licence_number_validate(S("ВХA123456"), &d), PS_ERR_INVALID); /* Latin A */
    cr_assert_eq(ps_licence_number_validate(S("ВХА12345"), &d), PS_ERR_INVALID);
    cr_assert_eq(ps_licence_number_validate(S("ВХ123456"), &d), PS_ERR_INVALID);
    cr_assert_eq(ps_licence_categories_validate(S("B"), &d), PS_OK);
    cr_assert_eq(ps_licence_categories_validate(S("A1 B C1E"), &d), PS_OK);
    cr_assert_eq(ps_licence_categories_validate(S("B B"), &d), PS_ERR_INVALID);
    cr_assert_str_eq(d.message, "licence category B given twice");
    cr_assert_eq(ps_licence_categories_validate(S("B F"), &d), PS_ERR_INVALID);
    cr_assert_eq(ps_licence_categories_validate(S(""), &d), PS_ERR_INVALID);
    cr_assert_eq(ps_licence_categories_validate(S("B "), &d), PS_ERR_INVALID);
}

Test(formats, plates)
{
    struct ps_diag d;
    char out[PS_PLATE_PRINTED_LEN + 1];
    cr_assert_eq(ps_plate_validate(S("BC1234AI"), &d), PS_OK, "%s", d.message);
    ps_plate_print(S("BC1234AI"), out);
    cr_assert_str_eq(out, "BC 1234 AI");
    cr_assert_eq(ps_plate_validate(S("KA0001XX"), &d), PS_OK);
    cr_assert_eq(ps_plate_validate(S("BC0000AI"), &d), PS_ERR_INVALID);
    cr_assert_eq(ps_plate_validate(S("ZZ1234AI"), &d), PS_ERR_INVALID);
    cr_assert_str_eq(d.message, "a plate is 2 letters, 4 digits and 2 letters, e.g. BC1234AI "
                                "(letters from ABCEHIKMOPTX)");
    cr_assert_eq(ps_plate_validate(S("XX1234AI"), &d), PS_ERR_INVALID);
    cr_assert_str_eq(d.message, "XX is not a region code of the 2013 series");
}

Test(formats, vin_check_digit)
{
    struct ps_diag d;
    /* the worked example of 49 CFR 565 (NHTSA): 1M8GDM9AXKP042788 */
    cr_assert_eq(ps_vin_check_digit("1M8GDM9A_KP042788"), 'X');
    cr_assert_eq(ps_vin_validate(S("1M8GDM9AXKP042788"), &d), PS_OK, "%s", d.message);
    cr_assert_eq(ps_vin_validate(S("1M8GDM9A1KP042788"), &d), PS_ERR_INVALID);
    cr_assert_str_eq(d.message, "VIN check digit is 1, expected X");
    cr_assert_eq(ps_vin_validate(S("1M8GDM9AXKPO42788"), &d), PS_ERR_INVALID); /* letter O */
    cr_assert_eq(ps_vin_year_code(2010), 'A');
    cr_assert_eq(ps_vin_year_code(2024), 'R');
    cr_assert_eq(ps_vin_year_code(2009), '9');
    for (size_t i = 0; i < ps_n_vehicle_models; i++) {
        cr_assert_eq(strlen(ps_vehicle_models[i].wmi), 3);
        cr_assert_eq(strlen(ps_vehicle_models[i].vds), 5);
    }
}

Test(formats, every_oblast_has_codes)
{
    size_t n = 0;
    const struct ps_record_source *src = ps_record_sources(&n);
    cr_assert_eq(n, 8);
    cr_assert_str_eq(src[0].name, "person");
    cr_assert_eq(ps_record_field(ps_record_source(S("vehicle")), S("vin")), 1);
    cr_assert_eq(ps_n_oblast_codes, 25);
    cr_assert_not_null(ps_oblast_codes_of(S("Львівська область")));
    cr_assert_str_eq(ps_oblast_codes_of(S("Львівська область"))->plates[0], "BC");
}
