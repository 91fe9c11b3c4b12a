/* Population registry: RNOKPP and UNZR rules, the 2010 transliteration table with its
 * official examples, patronymics, the synthetic generator (determinism, validity,
 * uniqueness, shares, speed printed), JSON rendering, and, when the store works, inserts,
 * reads and the access log. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/clock.h"
#include "registries/date.h"
#include "registries/names.h"
#include "registries/persons.h"
#include "registries/population.h"
#include "registries/rnokpp.h"
#include "registries/translit.h"
#include "registries/unzr.h"
#include "store/store.h"
#include "tlog/access.h"
#include "pg_helper.h"
#include "tx_helper.h"

static struct ps_str S(const char *s)
{
    return ps_str_from_cstr(s);
}

/* ---- dates ---- */

Test(date, roundtrip_and_parse)
{
    struct ps_date d = {1899, 12, 31};
    cr_assert_eq(ps_date_to_days(d), -25568);
    cr_assert_eq(ps_date_to_days((struct ps_date){1970, 1, 1}), 0);
    for (int64_t k = -80000; k < 80000; k += 37) {
        struct ps_date x = ps_date_from_days(k);
        cr_assert(ps_date_valid(x));
        cr_assert_eq(ps_date_to_days(x), k);
    }
    struct ps_diag diag;
    cr_assert_eq(ps_date_parse(S("2024-02-29"), &d, &diag), PS_OK);
    cr_assert_eq(ps_date_parse(S("2023-02-29"), &d, &diag), PS_ERR_INVALID);
    cr_assert_eq(ps_date_parse(S("2023-2-09"), &d, &diag), PS_ERR_INVALID);
    char out[11];
    ps_date_fmt((struct ps_date){987, 3, 4}, out);
    cr_assert_str_eq(out, "0987-03-04");
}

/* ---- RNOKPP ---- */

static void rnokpp_ok(const char *s, int y, int m, int d, enum ps_sex sex)
{
    struct ps_rnokpp_info info;
    struct ps_diag diag = {0};
    cr_assert_eq(ps_rnokpp_validate(S(s), &info, &diag), PS_OK, "%s: %s", s, diag.message);
    cr_assert_eq(info.birth_date.year, y, "%s", s);
    cr_assert_eq(info.birth_date.month, m, "%s", s);
    cr_assert_eq(info.birth_date.day, d, "%s", s);
    cr_assert_eq(info.sex, sex, "%s", s);
}

static void rnokpp_bad(const char *s, const char *msg)
{
    struct ps_diag diag = {0};
    cr_assert_eq(ps_rnokpp_validate(S(s), NULL, &diag), PS_ERR_INVALID, "%s", s);
    cr_assert_eq(diag.code, PS_ERR_INVALID);
    cr_assert_str_eq(diag.message, msg, "%s", s);
}

Test(rnokpp, check_digit_by_hand)
{
    /* 1759013776: -1*1 +5*7 +7*5 +9*9 +4*0 +6*1 +10*3 +5*7 +7*7 = 270; 270 mod 11 = 6 */
    cr_assert_eq(ps_rnokpp_check_digit("175901377"), 6);
    /* 3184710691: -3 +5 +56 +36 +28 +6 +0 +30 +63 = 221; 221 mod 11 = 1 */
    cr_assert_eq(ps_rnokpp_check_digit("318471069"), 1);
    /* 3287300012: -3 +10 +56 +63 +12 +0 +0 +0 +7 = 145; 145 mod 11 = 2 */
    cr_assert_eq(ps_rnokpp_check_digit("328730001"), 2);
    /* 900000000: -9 mod 11 = 2 (the mathematical remainder) */
    cr_assert_eq(ps_rnokpp_check_digit("900000000"), 2);
    /* 999999999: 9*52 = 468 mod 11 = 6 */
    cr_assert_eq(ps_rnokpp_check_digit("999999999"), 6);
}

Test(rnokpp, decode_valid)
{
    rnokpp_ok("1759013776", 1948, 2, 28, PS_SEX_MALE);
    rnokpp_ok("3184710691", 1987, 3, 12, PS_SEX_MALE);
    rnokpp_ok("3287300012", 1990, 1, 1, PS_SEX_MALE);
    rnokpp_ok("3287300029", 1990, 1, 1, PS_SEX_FEMALE);
    rnokpp_ok("1234567899", 1933, 10, 19, PS_SEX_MALE); /* 9th digit 9: odd */
}

Test(rnokpp, refuse_with_reason)
{
    rnokpp_bad("12345", "RNOKPP must be 10 digits");
    rnokpp_bad("17590137760", "RNOKPP must be 10 digits");
    rnokpp_bad("17590a3776", "RNOKPP must be 10 digits");
    rnokpp_bad("", "RNOKPP must be 10 digits");
    rnokpp_bad("1759013770", "RNOKPP check digit is 0, expected 6");
    rnokpp_bad("3184710693", "RNOKPP check digit is 3, expected 1");
    rnokpp_bad("0000000000", "RNOKPP encodes no birth date (day 00000)");
    char future[11] = "999990001";
    future[9] = (char)('0' + ps_rnokpp_check_digit(future));
    future[10] = '\0';
    rnokpp_bad(future, "RNOKPP encodes a birth date in the future");
}

Test(rnokpp, future_follows_the_clock)
{
    char s[11];
    cr_assert_eq(ps_rnokpp_make((struct ps_date){2020, 6, 1}, PS_SEX_FEMALE, 7, s), PS_OK);
    ps_clock_set_fixed(ps_date_to_days((struct ps_date){2020, 5, 31}) * 86400000LL);
    struct ps_diag diag = {0};
    cr_assert_eq(ps_rnokpp_validate(S(s), NULL, &diag), PS_ERR_INVALID);
    ps_clock_set_fixed(ps_date_to_days((struct ps_date){2020, 6, 1}) * 86400000LL);
    cr_assert_eq(ps_rnokpp_validate(S(s), NULL, &diag), PS_OK);
    ps_clock_set_fixed(-1);
}

Test(rnokpp, make_and_cross_check)
{
    char s[11];
    struct ps_date d = {1990, 1, 1};
    cr_assert_eq(ps_rnokpp_make(d, PS_SEX_MALE, 0, s), PS_OK);
    cr_assert_str_eq(s, "3287300012");
    cr_assert_eq(ps_rnokpp_make(d, PS_SEX_FEMALE, 1, s), PS_OK);
    cr_assert_str_eq(s, "3287300029");
    cr_assert_eq(ps_rnokpp_make(d, PS_SEX_MALE, PS_RNOKPP_SERIALS, s), PS_ERR_LIMIT);
    cr_assert_eq(ps_rnokpp_make((struct ps_date){1899, 12, 31}, PS_SEX_MALE, 0, s),
                 PS_ERR_INVALID);
    struct ps_diag diag = {0};
    cr_assert_eq(ps_rnokpp_check_person(S("3287300012"), d, PS_SEX_MALE, &diag), PS_OK);
    cr_assert_eq(ps_rnokpp_check_person(S("3287300012"), d, PS_SEX_FEMALE, &diag),
                 PS_ERR_INVALID);
    cr_assert_str_eq(diag.message, "RNOKPP encodes sex male, but the sex is female");
    cr_assert_eq(ps_rnokpp_check_person(S("3287300012"), (struct ps_date){1990, 1, 2},
                                        PS_SEX_MALE, &diag),
                 PS_ERR_INVALID);
    cr_assert_str_eq(diag.message,
                     "RNOKPP encodes birth date 1990-01-01, but the birth date is 1990-01-02");
    /* every serial of a day round-trips with its sex */
    for (unsigned k = 0; k < PS_RNOKPP_SERIALS; k += 7) {
        enum ps_sex sex = k % 2 ? PS_SEX_MALE : PS_SEX_FEMALE;
        cr_assert_eq(ps_rnokpp_make((struct ps_date){2001, 9, 11}, sex, k, s), PS_OK);
        cr_assert_eq(ps_rnokpp_check_person(S(s), (struct ps_date){2001, 9, 11}, sex, &diag),
                     PS_OK, "%s: %s", s, diag.message);
    }
}

/* ---- UNZR ---- */

Test(unzr, icao_check_digit)
{
    /* ICAO Doc 9303 part 3 worked example: date 510509 -> 5*7+1*3+0+5*7+0+9*1 = 82 -> 2 */
    cr_assert_eq(ps_mrz_check_digit(S("510509")), 2);
    /* 19900101-0001: 7+27+9+0+0+1+0+3+0+0+0+1 = 48 -> 8 */
    cr_assert_eq(ps_mrz_check_digit(S("199001010001")), 8);
}

static void unzr_bad(const char *s, const char *msg)
{
    struct ps_diag diag = {0};
    cr_assert_eq(ps_unzr_validate(S(s), NULL, &diag), PS_ERR_INVALID, "%s", s);
    cr_assert_str_eq(diag.message, msg, "%s", s);
}

Test(unzr, validate)
{
    struct ps_date d;
    struct ps_diag diag = {0};
    cr_assert_eq(ps_unzr_validate(S("19900101-00018"), &d, &diag), PS_OK, "%s", diag.message);
    cr_assert_eq(d.year, 1990);
    cr_assert_eq(ps_unzr_validate(S("19820304-00056"), &d, &diag), PS_OK, "%s", diag.message);
    unzr_bad("1990010100018", "UNZR must be YYYYMMDD-NNNNC (14 characters)");
    unzr_bad("19900101-0001", "UNZR must be YYYYMMDD-NNNNC (14 characters)");
    unzr_bad("19900101-0A018", "UNZR must be YYYYMMDD-NNNNC (digits and one hyphen)");
    unzr_bad("19900101-00017", "UNZR check digit is 7, expected 8");
    unzr_bad("19900231-00018", "UNZR encodes a date that does not exist");
    unzr_bad("19900101-00000", "UNZR serial must be 0001..9999, not 0000");
    unzr_bad("29990101-00011", "UNZR encodes a birth date in the future");
    char u[15];
    cr_assert_eq(ps_unzr_make((struct ps_date){1990, 1, 1}, 1, u), PS_OK);
    cr_assert_str_eq(u, "19900101-00018");
    cr_assert_eq(ps_unzr_make((struct ps_date){1990, 1, 1}, 0, u), PS_ERR_LIMIT);
    cr_assert_eq(ps_unzr_make((struct ps_date){1990, 1, 1}, 10000, u), PS_ERR_LIMIT);
    cr_assert_eq(ps_unzr_check_person(S("19900101-00018"), (struct ps_date){1990, 1, 2}, &diag),
                 PS_ERR_INVALID);
    cr_assert_str_eq(diag.message,
                     "UNZR encodes birth date 1990-01-01, but the birth date is 1990-01-02");
}

/* ---- transliteration ---- */

static void tr(const char *uk, const char *lat)
{
    char out[256];
    size_t n = 0;
    struct ps_diag diag = {0};
    cr_assert_eq(ps_translit(S(uk), out, sizeof out, &n, &diag), PS_OK, "%s: %s", uk,
                 diag.message);
    cr_assert_str_eq(out, lat, "%s", uk);
    cr_assert_eq(n, strlen(lat));
}

/* The examples printed in the table of resolution 55 of 27.01.2010. */
Test(translit, official_examples)
{
    tr("Алушта", "Alushta");         tr("Андрій", "Andrii");
    tr("Борщагівка", "Borshchahivka"); tr("Борисенко", "Borysenko");
    tr("Вінниця", "Vinnytsia");      tr("Володимир", "Volodymyr");
    tr("Гадяч", "Hadiach");          tr("Богдан", "Bohdan");
    tr("Згурський", "Zghurskyi");    tr("Ґалаґан", "Galagan");
    tr("Ґорґани", "Gorgany");        tr("Донецьк", "Donetsk");
    tr("Дмитро", "Dmytro");          tr("Рівне", "Rivne");
    tr("Олег", "Oleh");              tr("Есмань", "Esman");
    tr("Єнакієве", "Yenakiieve");    tr("Гаєвич", "Haievych");
    tr("Короп'є", "Koropie");        tr("Житомир", "Zhytomyr");
    tr("Жанна", "Zhanna");           tr("Жежелів", "Zhezheliv");
    tr("Закарпаття", "Zakarpattia"); tr("Казимирчук", "Kazymyrchuk");
    tr("Медвин", "Medvyn");          tr("Михайленко", "Mykhailenko");
    tr("Іванків", "Ivankiv");        tr("Іващенко", "Ivashchenko");
    tr("Їжакевич", "Yizhakevych");   tr("Кадиївка", "Kadyivka");
    tr("Мар'їне", "Marine");         tr("Йосипівка", "Yosypivka");
    tr("Стрий", "Stryi");            tr("Олексій", "Oleksii");
    tr("Київ", "Kyiv");              tr("Коваленко", "Kovalenko");
    tr("Лебедин", "Lebedyn");        tr("Леонід", "Leonid");
    tr("Миколаїв", "Mykolaiv");      tr("Маринич", "Marynych");
    tr("Ніжин", "Nizhyn");           tr("Наталія", "Nataliia");
    tr("Одеса", "Odesa");            tr("Онищенко", "Onyshchenko");
    tr("Полтава", "Poltava");        tr("Петро", "Petro");
    tr("Решетилівка", "Reshetylivka"); tr("Рибчинський", "Rybchynskyi");
    tr("Суми", "Sumy");              tr("Соломія", "Solomiia");
    tr("Тернопіль", "Ternopil");     tr("Троць", "Trots");
    tr("Ужгород", "Uzhhorod");       tr("Уляна", "Uliana");
    tr("Фастів", "Fastiv");          tr("Філіпчук", "Filipchuk");
    tr("Харків", "Kharkiv");         tr("Христина", "Khrystyna");
    tr("Біла Церква", "Bila Tserkva"); tr("Стеценко", "Stetsenko");
    tr("Чернівці", "Chernivtsi");    tr("Шевченко", "Shevchenko");
    tr("Шостка", "Shostka");         tr("Кишеньки", "Kyshenky");
    tr("Щербухи", "Shcherbukhy");    tr("Гоща", "Hoshcha");
    tr("Гаращенко", "Harashchenko"); tr("Юрій", "Yurii");
    tr("Корюківка", "Koriukivka");   tr("Яготин", "Yahotyn");
    tr("Ярошенко", "Yaroshenko");    tr("Костянтин", "Kostiantyn");
    tr("Знам'янка", "Znamianka");    tr("Феодосія", "Feodosiia");
    tr("Згорани", "Zghorany");       tr("Розгон", "Rozghon");
    tr("Ющенко", "Yushchenko");      tr("Марія", "Mariia");
}

Test(translit, case_words_and_apostrophes)
{
    tr("ЮРІЙ", "YURII");
    tr("ЩЕРБУХИ", "SHCHERBUKHY");
    tr("ЗГОРАНИ", "ZGHORANY");
    tr("Щ", "Shch");
    tr("ЖУК", "ZHUK");
    tr("Жук", "Zhuk");
    tr("ЧЕРНІВЦІ", "CHERNIVTSI");
    tr("Знам\xCA\xBCянка", "Znamianka"); /* U+02BC modifier letter apostrophe */
    tr("Знам\xE2\x80\x99янка", "Znamianka"); /* U+2019 */
    tr("Івано-Франківськ", "Ivano-Frankivsk");
    tr("Новоселиця-Їжаківка", "Novoselytsia-Yizhakivka");
    tr("м. Київ, вул. Хрещатик, 1", "m. Kyiv, vul. Khreshchatyk, 1");
    tr("", "");
}

Test(translit, refuses)
{
    char out[64];
    struct ps_diag diag = {0};
    cr_assert_eq(ps_translit(S("Съезд"), out, sizeof out, NULL, &diag), PS_ERR_INVALID);
    cr_assert_str_eq(diag.message, "character U+044A at byte 2 is not in the Ukrainian alphabet");
    cr_assert_eq(ps_translit(S("\xD0"), out, sizeof out, NULL, &diag), PS_ERR_INVALID);
    cr_assert_eq(ps_translit(S("\xC0\x80"), out, sizeof out, NULL, &diag), PS_ERR_INVALID);
    cr_assert_eq(ps_translit(S("Щербухи"), out, 5, NULL, &diag), PS_ERR_LIMIT);
    /* the documented capacity always suffices: щ is 2 bytes in, 4 out */
    char big[PS_TRANSLIT_CAP(8)];
    cr_assert_eq(ps_translit(S("щщщщ"), big, sizeof big, NULL, &diag), PS_OK);
    cr_assert_str_eq(big, "shchshchshchshch");
}

/* ---- patronymics ---- */

static void patr(const char *father, const char *son, const char *daughter)
{
    char out[128];
    cr_assert_eq(ps_patronymic(S(father), PS_SEX_MALE, out, sizeof out, NULL), PS_OK, "%s",
                 father);
    cr_assert_str_eq(out, son);
    cr_assert_eq(ps_patronymic(S(father), PS_SEX_FEMALE, out, sizeof out, NULL), PS_OK);
    cr_assert_str_eq(out, daughter);
}

Test(names, patronymics)
{
    patr("Олександр", "Олександрович", "Олександрівна");
    patr("Сергій", "Сергійович", "Сергіївна");
    patr("Андрій", "Андрійович", "Андріївна");
    patr("Василь", "Васильович", "Василівна");
    patr("Дмитро", "Дмитрович", "Дмитрівна");
    patr("Михайло", "Михайлович", "Михайлівна");
    patr("Микита", "Микитович", "Микитівна");
    patr("Микола", "Миколайович", "Миколаївна");
    patr("Григорій", "Григорович", "Григорівна");
    patr("Ілля", "Ілліч", "Іллівна");
    patr("Яків", "Якович", "Яківна");
    patr("Федір", "Федорович", "Федорівна");
    for (size_t i = 0; i < ps_n_male_names; i++) {
        char out[128];
        cr_assert_eq(ps_patronymic(S(ps_male_names[i].name), PS_SEX_FEMALE, out, sizeof out,
                                   NULL),
                     PS_OK, "%s", ps_male_names[i].name);
    }
}

Test(names, tables_transliterate)
{
    char out[512];
    struct ps_diag diag;
    for (size_t i = 0; i < ps_n_oblasts; i++) {
        cr_assert_eq(ps_translit(S(ps_oblasts[i].name), out, sizeof out, NULL, &diag), PS_OK);
        for (size_t k = 0; k < ps_oblasts[i].n_hromadas; k++) {
            const struct ps_hromada *h = &ps_oblasts[i].hromadas[k];
            cr_assert_eq(ps_translit(S(h->hromada), out, sizeof out, NULL, &diag), PS_OK,
                         "%s", h->hromada);
            cr_assert_eq(ps_translit(S(h->settlement), out, sizeof out, NULL, &diag), PS_OK);
        }
    }
    cr_assert_eq(ps_n_oblasts, 25);
}

/* ---- generator ---- */

static void person_line(const struct ps_person *p, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%.*s|%.*s|%.*s|%.*s %.*s %.*s|%d-%d-%d|%.*s|%.*s|%d",
                     PS_STR_FMT(p->rnokpp), PS_STR_FMT(p->unzr), PS_STR_FMT(p->id_card),
                     PS_STR_FMT(p->surname), PS_STR_FMT(p->given_name),
                     PS_STR_FMT(p->patronymic), p->birth_date.year, p->birth_date.month,
                     p->birth_date.day, PS_STR_FMT(p->address.settlement),
                     PS_STR_FMT(p->address.street), (int)p->status);
    cr_assert(n > 0 && (size_t)n < cap);
}

/* First and 1000th person of a stream as text. */
static void sample(uint64_t seed, char first[512], char last[512])
{
    struct ps_population *pop = NULL;
    cr_assert_eq(ps_population_new(seed, &pop, NULL), PS_OK);
    struct ps_person p;
    for (int i = 0; i < 1000; i++) {
        cr_assert_eq(ps_population_next(pop, &p), PS_OK);
        if (i == 0)
            person_line(&p, first, 512);
    }
    person_line(&p, last, 512);
    ps_population_free(pop);
}

Test(population, deterministic)
{
    char a1[512], a2[512], b1[512], b2[512], c1[512], c2[512];
    sample(42, a1, a2);
    sample(42, b1, b2);
    sample(43, c1, c2);
    cr_assert_str_eq(a1, b1);
    cr_assert_str_eq(a2, b2);
    cr_assert_str_neq(a1, c1);
    cr_assert_str_neq(a2, c2);
    printf("population seed 42, person 1: %s\n", a1);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t digits_u64(struct ps_str s)
{
    uint64_t v = 0;
    for (size_t i = 0; i < s.len; i++) {
        if (s.p[i] >= '0' && s.p[i] <= '9')
            v = v * 10 + (uint64_t)(s.p[i] - '0');
    }
    return v;
}

static void assert_unique(uint64_t *v, size_t n, const char *what)
{
    qsort(v, n, sizeof *v, cmp_u64);
    for (size_t i = 1; i < n; i++)
        cr_assert_neq(v[i], v[i - 1], "duplicate %s", what);
}

Test(population, valid_unique_realistic, .timeout = 120)
{
    enum { N = 200000 };
    uint64_t *rn = malloc(N * sizeof *rn), *un = malloc(N * sizeof *un);
    uint64_t *ic = malloc(N * sizeof *ic);
    cr_assert(rn && un && ic);
    struct ps_population *pop = NULL;
    cr_assert_eq(ps_population_new(7, &pop, NULL), PS_OK);
    size_t deceased = 0, male = 0, kyiv = 0, minors = 0;
    struct ps_diag diag = {0};
    for (size_t i = 0; i < N; i++) {
        struct ps_person p;
        cr_assert_eq(ps_population_next(pop, &p), PS_OK);
        cr_assert_eq(ps_person_validate(&p, &diag), PS_OK, "%.*s: %s", PS_STR_FMT(p.rnokpp),
                     diag.message);
        char lat[256];
        cr_assert_eq(ps_translit(p.surname, lat, sizeof lat, NULL, &diag), PS_OK);
        cr_assert(ps_str_eq_cstr(p.surname_latin, lat));
        rn[i] = digits_u64(p.rnokpp);
        un[i] = digits_u64(p.unzr);
        ic[i] = digits_u64(p.id_card);
        deceased += p.status == PS_PERSON_DECEASED;
        male += p.sex == PS_SEX_MALE;
        kyiv += ps_str_eq_cstr(p.address.oblast, "м. Київ");
        minors += p.birth_date.year > 2006;
    }
    ps_population_free(pop);
    assert_unique(rn, N, "RNOKPP");
    assert_unique(un, N, "UNZR");
    assert_unique(ic, N, "ID card");
    free(rn);
    free(un);
    free(ic);
    double dec = 100.0 * (double)deceased / N, men = 100.0 * (double)male / N;
    double ky = 100.0 * (double)kyiv / N, mi = 100.0 * (double)minors / N;
    printf("population 200k: deceased %.2f%%, men %.1f%%, Kyiv %.1f%%, under 18 %.1f%%\n", dec,
           men, ky, mi);
    cr_assert(dec > 2.0 && dec < 3.0);
    cr_assert(men > 44.0 && men < 49.0);
    cr_assert(ky > 5.5 && ky < 8.5);
}

Test(population, generation_rate, .timeout = 120)
{
    enum { N = 1000000 };
    struct ps_population *pop = NULL;
    cr_assert_eq(ps_population_new(1, &pop, NULL), PS_OK);
    int64_t t0 = ps_clock_mono_ns();
    size_t bytes = 0;
    for (size_t i = 0; i < N; i++) {
        struct ps_person p;
        cr_assert_eq(ps_population_next(pop, &p), PS_OK);
        bytes += p.surname.len;
    }
    int64_t t1 = ps_clock_mono_ns();
    ps_population_free(pop);
    cr_assert_eq(ps_population_new(1, &pop, NULL), PS_OK);
    struct ps_diag diag;
    for (size_t i = 0; i < N; i++) {
        struct ps_person p;
        cr_assert_eq(ps_population_next(pop, &p), PS_OK);
        cr_assert_eq(ps_person_validate(&p, &diag), PS_OK);
    }
    int64_t t2 = ps_clock_mono_ns();
    ps_population_free(pop);
    printf("population: generated 1,000,000 persons in %.3f s (%.2f M/s); with validation "
           "%.3f s (%zu surname bytes)\n",
           (double)(t1 - t0) / 1e9, N / ((double)(t1 - t0) / 1e9) / 1e6,
           (double)(t2 - t1) / 1e9, bytes);
}

/* The string fields of a person record, in a fixed order. */
#define PERSON_STRS 14
static void person_strs(const struct ps_person *p, const struct ps_str *out[PERSON_STRS])
{
    const struct ps_str *f[PERSON_STRS] = {
        &p->rnokpp, &p->unzr, &p->id_card, &p->surname, &p->given_name, &p->patronymic,
        &p->surname_latin, &p->given_name_latin, &p->patronymic_latin, &p->address.oblast,
        &p->address.hromada, &p->address.settlement, &p->address.street, &p->address.building};
    memcpy(out, f, sizeof f);
}

/* Field-for-field equality of two person records (what is stored is what was given). */
static void expect_same_person(const struct ps_person *a, const struct ps_person *b)
{
    const struct ps_str *fa[PERSON_STRS], *fb[PERSON_STRS];
    person_strs(a, fa);
    person_strs(b, fb);
    for (size_t i = 0; i < PERSON_STRS; i++)
        cr_expect(ps_str_eq(*fa[i], *fb[i]), "field %zu: %.*s != %.*s", i, PS_STR_FMT(*fa[i]),
                  PS_STR_FMT(*fb[i]));
    cr_expect_eq(ps_date_cmp(a->birth_date, b->birth_date), 0);
    cr_expect_eq(a->sex, b->sex);
    cr_expect_eq(a->status, b->status);
}

/* ---- with the store ---- */

static struct ps_store *store;
static char dbpath[64];
static char pg_url[512], pg_schema[64];

/* SQLite in a temporary file, or a fresh PostgreSQL schema when PS_TEST_DB is set. */
static void store_setup(void)
{
    int n = snprintf(dbpath, sizeof dbpath, "/tmp/ps-registries-%d.db", (int)getpid());
    cr_assert(n > 0 && (size_t)n < sizeof dbpath);
    unlink(dbpath);
    pg_schema[0] = '\0';
    bool pg = ps_test_pg_base() != NULL;
    if (pg)
        cr_assert(ps_test_pg_fresh(pg_url, sizeof pg_url, pg_schema));
    struct ps_store_opts o;
    ps_store_opts_init(&o);
    o.url = pg ? pg_url : dbpath;
    o.migrate = true;
    o.create = true;
    struct ps_diag diag = {0};
    if (ps_store_open(&o, &store, &diag) != PS_OK) {
        store = NULL;
        cr_skip_test("store not available yet: %s", diag.message);
    }
}

static void store_teardown(void)
{
    ps_store_free(store);
    store = NULL;
    if (pg_schema[0])
        ps_test_pg_drop(pg_schema);
    char wal[80];
    unlink(dbpath);
    if (snprintf(wal, sizeof wal, "%s-wal", dbpath) < (int)sizeof wal)
        unlink(wal);
    if (snprintf(wal, sizeof wal, "%s-shm", dbpath) < (int)sizeof wal)
        unlink(wal);
}

static const struct ps_sql count_log = {"test.count_log", "SELECT count(*) FROM access_log"};
static const struct ps_sql update_log = {"test.update_log",
                                         "UPDATE access_log SET purpose = 'forged'"};
static const struct ps_sql delete_log = {"test.delete_log", "DELETE FROM access_log"};

static const struct ps_sql load_entries = {
    "test.load_entries",
    "SELECT kind, actor_kind, resource FROM access_log WHERE action = 'population.load'",
};

struct load_entries {
    const char *resource;
    int n;
    bool matches;
};

static enum ps_err load_entries_tx(struct ps_tx *tx, void *ctx)
{
    struct load_entries *le = ctx;
    struct ps_stmt *st;
    bool row = true;
    enum ps_err e = ps_tx_prepare(tx, &load_entries, &st);
    le->n = 0;
    le->matches = false;
    while (e == PS_OK && (e = ps_stmt_step(st, &row)) == PS_OK && row) {
        le->n++;
        le->matches = ps_str_eq_cstr(ps_stmt_text(st, 0), "change") &&
                      ps_str_eq_cstr(ps_stmt_text(st, 1), "system") &&
                      ps_str_eq_cstr(ps_stmt_text(st, 2), le->resource);
    }
    ps_stmt_done(st);
    return e;
}

static int64_t log_rows(void)
{
    return tx_read_i64(store, &count_log);
}

static enum ps_err exec_tx(struct ps_tx *tx, void *ctx)
{
    return ps_tx_exec(tx, ctx);
}

static enum ps_err insert_tx(struct ps_tx *tx, void *ctx)
{
    return ps_persons_insert(tx, ctx, NULL);
}

static enum ps_err count_tx(struct ps_tx *tx, void *ctx)
{
    return ps_persons_count(tx, ctx, NULL);
}

static struct ps_person taras(void)
{
    struct ps_person p = {
        .rnokpp = S("3287300012"),
        .unzr = S("19900101-00018"),
        .id_card = S("001234567"),
        .surname = S("Шевченко"),
        .given_name = S("Тарас"),
        .patronymic = S("Григорович"),
        .birth_date = {1990, 1, 1},
        .sex = PS_SEX_MALE,
        .address = {S("м. Київ"), S("Київська міська територіальна громада"), S("м. Київ"),
                    S("вул. Хрещатик"), S("1")},
        .status = PS_PERSON_ALIVE,
    };
    return p;
}

Test(store, insert_read_and_access_log, .init = store_setup, .fini = store_teardown)
{
    struct ps_person p = taras();
    struct ps_diag diag = {0};
    cr_assert_eq(ps_store_write(store, insert_tx, &p, &diag), PS_OK, "%s", diag.message);
    cr_assert_eq(ps_store_write(store, insert_tx, &p, &diag), PS_ERR_EXISTS);
    struct ps_arena *arena = ps_arena_new(1 << 20);
    struct ps_person got;
    struct ps_actor official = {.kind = PS_ACTOR_OFFICIAL, .id = S("official-17")};
    cr_assert_eq(log_rows(), 0);
    cr_assert_eq(ps_persons_get(store, &official, S("3287300012"), S("pension review"), arena,
                                &got, &diag),
                 PS_OK, "%s", diag.message);
    cr_assert(ps_str_eq_cstr(got.surname_latin, "Shevchenko"));
    cr_assert(ps_str_eq_cstr(got.patronymic_latin, "Hryhorovych"));
    cr_assert(ps_str_eq_cstr(got.address.street, "вул. Хрещатик"));
    cr_assert_eq(got.birth_date.day, 1);
    cr_assert_eq(log_rows(), 1);
    /* the person reading their own record leaves no row */
    struct ps_actor self = {.kind = PS_ACTOR_CITIZEN, .id = S("3287300012")};
    cr_assert_eq(ps_persons_get(store, &self, S("3287300012"), PS_STR_NULL, arena, &got, &diag),
                 PS_OK, "%s", diag.message);
    cr_assert_eq(log_rows(), 1);
    /* another citizen is recorded; no purpose is refused before reading */
    struct ps_actor other = {.kind = PS_ACTOR_CITIZEN, .id = S("3287300029")};
    cr_assert_eq(ps_persons_get(store, &other, S("3287300012"), PS_STR_NULL, arena, &got, &diag),
                 PS_ERR_INVALID);
    cr_assert_eq(log_rows(), 1);
    /* invalid and unknown RNOKPP: precise refusal, nothing recorded */
    cr_assert_eq(ps_persons_get(store, &official, S("3287300013"), S("x"), arena, &got, &diag),
                 PS_ERR_INVALID);
    cr_assert_str_eq(diag.message, "RNOKPP check digit is 3, expected 2");
    cr_assert_eq(ps_persons_get(store, &official, S("3287300029"), S("x"), arena, &got, &diag),
                 PS_ERR_NOTFOUND);
    cr_assert_eq(log_rows(), 1);
    /* the log is append-only */
    cr_assert_neq(ps_store_write(store, exec_tx, (void *)&update_log, &diag), PS_OK);
    cr_assert_neq(ps_store_write(store, exec_tx, (void *)&delete_log, &diag), PS_OK);
    cr_assert_eq(log_rows(), 1);
    ps_arena_free(arena);
}

static const struct ps_sql status_row = {
    "test.status_row",
    "SELECT count(*) FROM access_log WHERE kind = 'access' AND action = 'person.status.read' "
    "AND actor_kind = 'official' AND actor_id = 'official-17' AND subject = $1 "
    "AND resource = 'persons/' || $1 || '#status' AND purpose = 'application 9'",
};

struct check_ctx {
    const struct ps_actor *actor;
    struct ps_str rnokpp, purpose;
    struct ps_diag refused, diag;
    int64_t n;
};

static enum ps_err check_tx(struct ps_tx *tx, void *ctx)
{
    struct check_ctx *c = ctx;
    return ps_person_check_alive(tx, c->actor, c->rnokpp, c->purpose, &c->refused, &c->diag);
}

static enum ps_err status_row_tx(struct ps_tx *tx, void *ctx)
{
    struct check_ctx *c = ctx;
    return tx_run(tx, &status_row, &c->n, "s", c->rnokpp);
}

/* Runs the check in a job; returns its result, with the matching access rows in c->n. */
static enum ps_err check(struct check_ctx *c)
{
    struct ps_diag sd = {0};
    enum ps_err e = ps_store_write(store, check_tx, c, &sd);
    cr_assert_eq(ps_store_read(store, status_row_tx, c, &sd), PS_OK, "%s", sd.message);
    return e;
}

/* The status check of registry acts: an official's check is recorded whatever it finds, and
 * a refusal is PS_OK so that the record commits; a citizen's own check is not recorded;
 * nothing is read or recorded when the RNOKPP or the purpose is missing. */
Test(store, status_check_records_every_answer, .init = store_setup, .fini = store_teardown)
{
    struct ps_person p = taras();
    p.status = PS_PERSON_DECEASED;
    struct ps_diag diag = {0};
    cr_assert_eq(ps_store_write(store, insert_tx, &p, &diag), PS_OK, "%s", diag.message);
    struct ps_actor official = {.kind = PS_ACTOR_OFFICIAL, .id = S("official-17")};
    struct check_ctx c = {.actor = &official, .rnokpp = S("3287300012"),
                          .purpose = S("application 9")};
    cr_assert_eq(check(&c), PS_OK, "%s", c.diag.message);
    cr_assert_eq(c.refused.code, PS_ERR_INVALID);
    cr_assert_str_eq(c.refused.message, "the person with RNOKPP 3287300012 is deceased");
    cr_assert_eq(c.n, 1);
    c.rnokpp = S("3287300029");
    cr_assert_eq(check(&c), PS_OK, "%s", c.diag.message);
    cr_assert_eq(c.refused.code, PS_ERR_NOTFOUND);
    cr_assert_str_eq(c.refused.message, "no person with RNOKPP 3287300029");
    cr_assert_eq(c.n, 1);
    cr_assert_eq(log_rows(), 2);
    c.purpose = S("");
    cr_assert_eq(check(&c), PS_ERR_INVALID);
    cr_assert_str_eq(c.diag.message, "a reason is required to act on another person's record");
    c.rnokpp = S("3287300013");
    c.purpose = S("application 9");
    cr_assert_eq(check(&c), PS_ERR_INVALID);
    cr_assert_eq(log_rows(), 2);
    struct ps_actor self = {.kind = PS_ACTOR_CITIZEN, .id = S("3287300012")};
    c = (struct check_ctx){.actor = &self, .rnokpp = S("3287300012")};
    cr_assert_eq(check(&c), PS_OK, "%s", c.diag.message);
    cr_assert_eq(c.refused.code, PS_ERR_INVALID);
    cr_assert_eq(log_rows(), 2);
}

/* A caller that gives no place for the refusal would lose it: API misuse, abort. */
Test(persons, status_check_needs_refused, .signal = SIGABRT)
{
    struct ps_actor official = {.kind = PS_ACTOR_OFFICIAL, .id = S("official-17")};
    struct ps_diag diag;
    enum ps_err e = ps_person_check_alive(NULL, &official, S("3287300012"), S("x"), NULL, &diag);
    (void)e;
}

Test(store, insert_refuses_inconsistent, .init = store_setup, .fini = store_teardown)
{
    struct ps_person p = taras();
    p.sex = PS_SEX_FEMALE;
    struct ps_diag diag = {0};
    cr_assert_eq(ps_person_validate(&p, &diag), PS_ERR_INVALID);
    cr_assert_str_eq(diag.message, "RNOKPP encodes sex male, but the sex is female");
    p = taras();
    p.unzr = S("19900102-00011");
    cr_assert_eq(ps_person_validate(&p, &diag), PS_ERR_INVALID);
    cr_assert_str_eq(diag.message,
                     "UNZR encodes birth date 1990-01-02, but the birth date is 1990-01-01");
    cr_assert_eq(ps_store_write(store, insert_tx, &p, &diag), PS_ERR_INVALID);
    int64_t n = -1;
    cr_assert_eq(ps_store_read(store, count_tx, &n, &diag), PS_OK);
    cr_assert_eq(n, 0);
}

Test(store, bulk_load_rate, .init = store_setup, .fini = store_teardown, .timeout = 300)
{
    const char *env = getenv("PS_REGISTRIES_LOAD_N");
    uint64_t n = 100000;
    if (env && ps_str_to_u64(S(env), &n) != PS_OK)
        n = 100000;
    struct ps_diag diag = {0};
    int64_t t0 = ps_clock_mono_ns();
    cr_assert_eq(ps_population_load(store, (size_t)n, 2024, &diag), PS_OK, "%s", diag.message);
    int64_t t1 = ps_clock_mono_ns();
    int64_t count = -1;
    cr_assert_eq(ps_store_read(store, count_tx, &count, &diag), PS_OK);
    cr_assert_eq(count, (int64_t)n);
    printf("population_load: %llu persons generated and inserted in %.2f s (%.0f/s)\n",
           (unsigned long long)n, (double)(t1 - t0) / 1e9, (double)n / ((double)(t1 - t0) / 1e9));
    /* what was stored is what the generator made, field for field */
    struct ps_population *pop = NULL;
    cr_assert_eq(ps_population_new(2024, &pop, NULL), PS_OK);
    struct ps_arena *arena = ps_arena_new(1 << 20);
    struct ps_actor sys = {.kind = PS_ACTOR_SYSTEM, .id = S("test-suite")};
    for (int i = 0; i < 300; i++) {
        struct ps_person want, got;
        cr_assert_eq(ps_population_next(pop, &want), PS_OK);
        cr_assert_eq(ps_persons_get(store, &sys, want.rnokpp, S("load check"), arena, &got,
                                    &diag),
                     PS_OK, "%s", diag.message);
        expect_same_person(&want, &got);
    }
    ps_arena_free(arena);
    ps_population_free(pop);
    cr_assert_eq(log_rows(), 301, "300 reads and the load's one change entry");
    char want_resource[80];
    snprintf(want_resource, sizeof want_resource, "persons?count=%llu&seed=2024",
             (unsigned long long)n);
    struct load_entries le = {.resource = want_resource};
    cr_assert_eq(ps_store_read(store, load_entries_tx, &le, &diag), PS_OK, "%s", diag.message);
    cr_assert_eq(le.n, 1);
    cr_assert(le.matches, "the change entry names the count and the seed");
    /* loading the same seed again collides and leaves nothing behind, its entry included */
    cr_assert_eq(ps_population_load(store, 10, 2024, &diag), PS_ERR_EXISTS);
    cr_assert_eq(ps_store_read(store, count_tx, &count, &diag), PS_OK);
    cr_assert_eq(count, (int64_t)n);
    cr_assert_eq(log_rows(), 301);
}

/* ---- allocation failures: every allocation point of registration and of the read ----
 * Each sweep fails the N-th allocation (once) for N = 0, 1, 2, ... until the operation runs
 * without reaching it. Every attempt must end in a clean error (out of memory) with nothing
 * written, or succeed completely (a failure SQLite or the committer recovered from); leaks are
 * LeakSanitizer's to find (the ASan build runs this too). On SQLite the sweep reaches into
 * SQLite's own allocations (core/alloc.h). */

#define SWEEP_MAX 20000

static const struct ps_sql count_persons = {"test.count_persons", "SELECT count(*) FROM persons"};

static int64_t person_rows(void)
{
    return tx_read_i64(store, &count_persons);
}

struct register_ctx {
    struct ps_person p;
    struct ps_diag diag;
};

static enum ps_err register_tx(struct ps_tx *tx, void *ctx)
{
    struct register_ctx *r = ctx;
    struct ps_actor registrar = {.kind = PS_ACTOR_OFFICIAL, .id = S("registrar-1")};
    ps_diag_clear(&r->diag);
    return ps_person_register(tx, &registrar, &r->p, S("birth registration"), &r->diag);
}

Test(store, registration_survives_every_allocation_failure, .init = store_setup,
     .fini = store_teardown, .timeout = 300)
{
    struct ps_population *pop = NULL;
    struct ps_diag diag = {0};
    cr_assert_eq(ps_population_new(7, &pop, &diag), PS_OK);
    int64_t done = 0, failed = 0;
    long n;
    for (n = 0; n < SWEEP_MAX; n++) {
        struct register_ctx r = {0};
        cr_assert_eq(ps_population_next(pop, &r.p), PS_OK);
        ps_alloc_fail_nth(n);
        enum ps_err e = ps_store_write(store, register_tx, &r, &diag);
        bool fired = ps_alloc_fail_fired();
        ps_alloc_fail_reset();
        cr_assert(e == PS_OK || e == PS_ERR_NOMEM, "allocation %ld: %s: %s", n, ps_err_name(e),
                  diag.message);
        if (e == PS_OK)
            done++;
        else
            failed++;
        /* all or nothing: one person and one change record per registration that succeeded */
        cr_assert_eq(person_rows(), done, "allocation %ld", n);
        cr_assert_eq(log_rows(), done, "allocation %ld", n);
        if (!fired)
            break;
    }
    cr_assert_lt(n, SWEEP_MAX);
    cr_assert_gt(failed, 0, "no allocation of a registration failed: the sweep saw nothing");
    cr_log_info("registration: %ld allocations swept, %ld failed cleanly", n, (long)failed);
    ps_population_free(pop);
}

Test(store, read_survives_every_allocation_failure, .init = store_setup, .fini = store_teardown,
     .timeout = 300)
{
    struct ps_person p = taras(), got;
    struct ps_diag diag = {0};
    struct ps_actor official = {.kind = PS_ACTOR_OFFICIAL, .id = S("official-17")};
    cr_assert_eq(ps_store_write(store, insert_tx, &p, &diag), PS_OK, "%s", diag.message);
    int64_t done = 0, failed = 0;
    long n;
    for (n = 0; n < SWEEP_MAX; n++) {
        struct ps_arena *arena = ps_arena_new(1 << 20);
        cr_assert_not_null(arena);
        ps_alloc_fail_nth(n);
        enum ps_err e = ps_persons_get(store, &official, S("3287300012"), S("pension review"),
                                       arena, &got, &diag);
        bool fired = ps_alloc_fail_fired();
        ps_alloc_fail_reset();
        cr_assert(e == PS_OK || e == PS_ERR_NOMEM, "allocation %ld: %s: %s", n, ps_err_name(e),
                  diag.message);
        if (e == PS_OK) {
            done++;
            cr_assert(ps_str_eq_cstr(got.surname_latin, "Shevchenko"), "allocation %ld", n);
            cr_assert(ps_str_eq_cstr(got.address.street, "вул. Хрещатик"), "allocation %ld", n);
        } else {
            failed++;
        }
        /* a read is recorded exactly when its data was returned */
        cr_assert_eq(log_rows(), done, "allocation %ld", n);
        ps_arena_free(arena);
        if (!fired)
            break;
    }
    cr_assert_lt(n, SWEEP_MAX);
    cr_assert_gt(failed, 0, "no allocation of a read failed: the sweep saw nothing");
    cr_log_info("read: %ld allocations swept, %ld failed cleanly", n, (long)failed);
}
