/* Driving licences, plates, VINs and passport numbers: validation by their published rules,
 * and the tables the synthetic population's vehicles come from. The fleet shares are rough
 * (Ukraine's registrations of used imports and local assembly in the 2010s-2020s); the WMIs
 * are the manufacturers' real ones; plate region codes are those of the 2013 series
 * (order 1025 of the MVS, 2013); KOATUU codes are the State Statistics Service's oblast
 * codes. */
#include "registries/transport.h"

#include <string.h>

const char *const ps_series_letters[12] = {"А", "В", "Е", "І", "К", "М",
                                           "Н", "О", "Р", "С", "Т", "Х"};

/* ---- licences ---- */

/* Length of the series letter at s (2 bytes of UTF-8) or 0. */
static size_t series_letter(struct ps_str s, size_t i)
{
    for (size_t k = 0; k < 12; k++) {
        size_t n = strlen(ps_series_letters[k]);
        if (i + n <= s.len && memcmp(s.p + i, ps_series_letters[k], n) == 0)
            return n;
    }
    return 0;
}

enum ps_err ps_licence_number_validate(struct ps_str s, struct ps_diag *diag)
{
    size_t i = 0;
    for (int k = 0; k < 3; k++) {
        size_t n = series_letter(s, i);
        if (n == 0)
            return ps_diag_set(diag, PS_ERR_INVALID,
                               "a licence number starts with 3 series letters (А В Е І К М Н О Р "
                               "С Т Х), e.g. ВХА123456");
        i += n;
    }
    struct ps_str digits = {s.p + i, s.len - i};
    if (digits.len != 6 || !ps_str_is_digits(digits))
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "a licence number ends with 6 digits, e.g. ВХА123456");
    return PS_OK;
}

static const char *const categories[] = {"A1", "A",  "B1", "B",   "C1", "C",   "D1", "D",
                                         "BE", "C1E", "CE", "D1E", "DE", "T"};
#define NCAT (sizeof categories / sizeof categories[0])

enum ps_err ps_licence_categories_validate(struct ps_str s, struct ps_diag *diag)
{
    unsigned seen = 0;
    size_t i = 0, count = 0;
    while (i < s.len) {
        size_t j = i;
        while (j < s.len && s.p[j] != ' ')
            j++;
        struct ps_str c = {s.p + i, j - i};
        size_t k = 0;
        while (k < NCAT && !ps_str_eq_cstr(c, categories[k]))
            k++;
        if (k == NCAT)
            return ps_diag_set(diag, PS_ERR_INVALID, "unknown licence category \"%.*s\"",
                               PS_STR_FMT(c));
        if (seen & (1u << k))
            return ps_diag_set(diag, PS_ERR_INVALID, "licence category %s given twice",
                               categories[k]);
        seen |= 1u << k;
        count++;
        i = j + 1;
    }
    if (count == 0 || (s.len > 0 && s.p[s.len - 1] == ' '))
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "licence categories are space-separated, e.g. \"B C1\"");
    return PS_OK;
}

/* ---- plates ---- */

static bool plate_letter(char c)
{
    return c != '\0' && strchr(PS_PLATE_LETTERS, c) != NULL;
}

static bool region_known(const char code[2])
{
    for (size_t i = 0; i < ps_n_oblast_codes; i++) {
        for (int k = 0; k < 2; k++) {
            const char *p = ps_oblast_codes[i].plates[k];
            if (p && p[0] == code[0] && p[1] == code[1])
                return true;
        }
    }
    return false;
}

enum ps_err ps_plate_validate(struct ps_str s, struct ps_diag *diag)
{
    static const char shape[] = "a plate is 2 letters, 4 digits and 2 letters, e.g. BC1234AI";
    if (s.len != PS_PLATE_LEN)
        return ps_diag_set(diag, PS_ERR_INVALID, "%s", shape);
    for (size_t i = 0; i < PS_PLATE_LEN; i++) {
        bool digit = i >= 2 && i < 6;
        bool ok = digit ? (s.p[i] >= '0' && s.p[i] <= '9') : plate_letter(s.p[i]);
        if (!ok)
            return ps_diag_set(diag, PS_ERR_INVALID, "%s (letters from %s)", shape,
                               PS_PLATE_LETTERS);
    }
    if (memcmp(s.p + 2, "0000", 4) == 0)
        return ps_diag_set(diag, PS_ERR_INVALID, "a plate number is 0001-9999");
    if (!region_known(s.p))
        return ps_diag_set(diag, PS_ERR_INVALID, "%.2s is not a region code of the 2013 series",
                           s.p);
    return PS_OK;
}

void ps_plate_print(struct ps_str plate, char out[PS_PLATE_PRINTED_LEN + 1])
{
    PS_ASSERT(plate.len == PS_PLATE_LEN);
    memcpy(out, plate.p, 2);
    out[2] = ' ';
    memcpy(out + 3, plate.p + 2, 4);
    out[7] = ' ';
    memcpy(out + 8, plate.p + 6, 2);
    out[10] = '\0';
}

/* ---- VIN ---- */

/* The transliteration of 49 CFR 565.15: letters to 1-9; -1 for I, O, Q and non-VIN bytes. */
static int vin_value(char c)
{
    static const char letters[] = "ABCDEFGHJKLMNPRSTUVWXYZ";
    static const int values[] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4,
                                 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9};
    if (c >= '0' && c <= '9')
        return c - '0';
    const char *p = c ? strchr(letters, c) : NULL;
    return p ? values[p - letters] : -1;
}

char ps_vin_check_digit(const char vin[PS_VIN_LEN])
{
    static const int weight[PS_VIN_LEN] = {8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2};
    int sum = 0;
    for (int i = 0; i < PS_VIN_LEN; i++) {
        if (i == 8)
            continue;
        int v = vin_value(vin[i]);
        if (v < 0)
            return '\0';
        sum += v * weight[i];
    }
    int r = sum % 11;
    return r == 10 ? 'X' : (char)('0' + r);
}

enum ps_err ps_vin_validate(struct ps_str s, struct ps_diag *diag)
{
    if (s.len != PS_VIN_LEN)
        return ps_diag_set(diag, PS_ERR_INVALID, "a VIN is 17 characters");
    char c = ps_vin_check_digit(s.p);
    if (c == '\0')
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "a VIN has only digits and capital letters other than I, O and Q");
    if (s.p[8] != c)
        return ps_diag_set(diag, PS_ERR_INVALID, "VIN check digit is %c, expected %c", s.p[8],
                           c);
    return PS_OK;
}

char ps_vin_year_code(int year)
{
    static const char codes[] = "ABCDEFGHJKLMNPRSTVWXY123456789"; /* 1980 .. 2009, repeating */
    if (year < 1980 || year > 2039)
        return '\0';
    return codes[(year - 1980) % 30];
}

enum ps_err ps_passport_number_validate(struct ps_str s, struct ps_diag *diag)
{
    bool ok = s.len == PS_PASSPORT_NUMBER_LEN && s.p[0] >= 'A' && s.p[0] <= 'Z' &&
              s.p[1] >= 'A' && s.p[1] <= 'Z' && ps_str_is_digits((struct ps_str){s.p + 2, 6});
    if (!ok)
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "a passport number is 2 Latin capitals and 6 digits, e.g. FX123456");
    return PS_OK;
}

/* ---- tables ---- */

const struct ps_vehicle_model ps_vehicle_models[] = {
    {"Volkswagen", "Golf", "WVW", "ZZZ1K", 60, 2004, 2013},
    {"Volkswagen", "Passat", "WVW", "ZZZ3C", 70, 2006, 2015},
    {"Volkswagen", "Jetta", "3VW", "2B7AJ", 25, 2011, 2018},
    {"Volkswagen", "Polo", "WVW", "ZZZ6R", 20, 2010, 2017},
    {"Škoda", "Octavia", "TMB", "AG41Z", 65, 2005, 2020},
    {"Škoda", "Fabia", "TMB", "EG15J", 20, 2008, 2014},
    {"Škoda", "Superb", "TMB", "AG73T", 15, 2009, 2019},
    {"Toyota", "Camry", "JTN", "B11HK", 30, 2006, 2020},
    {"Toyota", "Corolla", "SB1", "BZ56E", 25, 2007, 2019},
    {"Toyota", "RAV4", "JTM", "B31V5", 35, 2006, 2021},
    {"Renault", "Mégane", "VF1", "BZ1B0", 35, 2008, 2016},
    {"Dacia", "Logan", "UU1", "4SDA6", 30, 2005, 2016},
    {"Dacia", "Duster", "UU1", "HSDAG", 20, 2011, 2020},
    {"ЗАЗ", "Lanos", "Y6D", "TF69Y", 40, 2000, 2014},
    {"ЗАЗ", "Sens", "Y6D", "TF48Y", 10, 2004, 2014},
    {"Hyundai", "Tucson", "KMH", "J2813", 30, 2005, 2021},
    {"Hyundai", "Accent", "KMH", "CN41B", 20, 2006, 2017},
    {"Kia", "Sportage", "KNA", "PC814", 25, 2010, 2021},
    {"Kia", "Ceed", "U5Y", "HA512", 15, 2007, 2018},
    {"Chevrolet", "Aveo", "KL1", "TD566", 20, 2005, 2015},
    {"Ford", "Focus", "WF0", "SXXGC", 30, 2005, 2018},
    {"BMW", "5 Series", "WBA", "FR710", 25, 2004, 2020},
    {"BMW", "X5", "WBA", "FE410", 15, 2007, 2019},
    {"Mercedes-Benz", "E-Class", "WDD", "2120F", 20, 2009, 2020},
    {"Nissan", "Qashqai", "SJN", "FAAJ1", 20, 2008, 2021},
    {"Nissan", "Leaf", "SJN", "FAAZE", 25, 2012, 2022},
    {"Mitsubishi", "Outlander", "JMB", "XTGF7", 15, 2008, 2020},
    {"Opel", "Astra", "W0L", "0AHL4", 20, 2004, 2015},
    {"Peugeot", "308", "VF3", "4B5FV", 10, 2008, 2018},
    {"ВАЗ", "2107", "XTA", "21070", 30, 1995, 2011},
    {"Audi", "A6", "WAU", "ZZZ4G", 20, 2005, 2019},
    {"Tesla", "Model 3", "5YJ", "3E1EA", 10, 2018, 2023},
};
const size_t ps_n_vehicle_models = sizeof ps_vehicle_models / sizeof ps_vehicle_models[0];

const char *const ps_vehicle_colours[] = {"Білий",  "Чорний",  "Сірий",      "Сріблястий",
                                          "Синій",  "Червоний", "Зелений",   "Бежевий",
                                          "Коричневий", "Жовтий"};
const size_t ps_n_vehicle_colours = sizeof ps_vehicle_colours / sizeof ps_vehicle_colours[0];

const struct ps_oblast_codes ps_oblast_codes[] = {
    {"Вінницька область", {"AB", "KB"}, "05", "ВН"},
    {"Волинська область", {"AC", "KC"}, "07", "ВЛ"},
    {"Дніпропетровська область", {"AE", "KE"}, "12", "ДП"},
    {"Донецька область", {"AH", "KH"}, "14", "ДН"},
    {"Житомирська область", {"AM", "KM"}, "18", "ЖТ"},
    {"Закарпатська область", {"AO", "KO"}, "21", "ЗК"},
    {"Запорізька область", {"AP", "KP"}, "23", "ЗП"},
    {"Івано-Франківська область", {"AT", "KT"}, "26", "ІФ"},
    {"Київська область", {"AI", "KI"}, "32", "КВ"},
    {"Кіровоградська область", {"BA", "HA"}, "35", "КР"},
    {"Луганська область", {"BB", "HB"}, "44", "ЛГ"},
    {"Львівська область", {"BC", "HC"}, "46", "ЛВ"},
    {"Миколаївська область", {"BE", "HE"}, "48", "МК"},
    {"Одеська область", {"BH", "HH"}, "51", "ОД"},
    {"Полтавська область", {"BI", "HI"}, "53", "ПЛ"},
    {"Рівненська область", {"BK", "HK"}, "56", "РВ"},
    {"Сумська область", {"BM", "HM"}, "59", "СМ"},
    {"Тернопільська область", {"BO", "HO"}, "61", "ТР"},
    {"Харківська область", {"AX", "KX"}, "63", "ХР"},
    {"Херсонська область", {"BT", "HT"}, "65", "ХС"},
    {"Хмельницька область", {"BX", "HX"}, "68", "ХМ"},
    {"Черкаська область", {"CA", "IA"}, "71", "ЧК"},
    {"Чернівецька область", {"CE", "IE"}, "73", "ЧВ"},
    {"Чернігівська область", {"CB", "IB"}, "74", "ЧН"},
    {"м. Київ", {"AA", "KA"}, "80", "КИ"},
};
const size_t ps_n_oblast_codes = sizeof ps_oblast_codes / sizeof ps_oblast_codes[0];

const struct ps_oblast_codes *ps_oblast_codes_of(struct ps_str oblast)
{
    for (size_t i = 0; i < ps_n_oblast_codes; i++) {
        if (ps_str_eq_cstr(oblast, ps_oblast_codes[i].oblast))
            return &ps_oblast_codes[i];
    }
    return NULL;
}
