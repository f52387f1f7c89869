/* The public API's reports (include/ggplace.h): a saved plan drawn as one
 * HTML page by emit/. */
#include "ggplace.h"
#include "emit/report_html.h"
#include "util/error.h"

gp_status gp_plan_report_html(const char *plan_json, size_t len, const char *source, char **out, gp_error *err)
{
    if (!out)
        return gp_fail(err, GP_ERR_ARG, NULL, "no place for the page");
    *out = NULL;
    if (!plan_json)
        return gp_fail(err, GP_ERR_ARG, source, "no plan");
    return gp_report_html(plan_json, len, source, out, err);
}
