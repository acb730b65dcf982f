# Reference values for tests/analysis/test_lonely_psu.py (R 4.x, survey 4.1.1):
#   Rscript tests/analysis/data/lonely.R
# lonely.csv: strata S1 and S5 hold one cluster each, S6 one respondent (a lonely PSU in both
# designs).  Satisfied = q >= 4.  Raking margins: sex F 110, M 140; age a 80, b 90, c 80.
suppressMessages(library(survey))
d <- read.csv("lonely.csv")
d$s <- as.numeric(d$q >= 4)
pop <- c(`(Intercept)` = 250, sexM = 140, ageb = 90, agec = 80)
p <- function(label, x) cat(label, sprintf("%.15g", x), "\n")
for (opt in c("adjust", "average", "certainty")) {
  options(survey.lonely.psu = opt)
  for (ids in c("psu", "1")) {
    des <- svydesign(ids = as.formula(paste0("~", ids)), strata = ~stratum, weights = ~w, data = d)
    p(paste(opt, ids, "whole"), SE(svymean(~s, des)))
    p(paste(opt, ids, "by"), SE(svyby(~s, ~agency, des, svymean)))
    cal <- calibrate(des, ~sex + age, population = pop, calfun = "raking")
    p(paste(opt, ids, "raked whole"), c(coef(svymean(~s, cal)), SE(svymean(~s, cal))))
    p(paste(opt, ids, "raked by"), SE(svyby(~s, ~agency, cal, svymean)))
    if (opt == "adjust") {  # rake() approximates the same variance by 10 sweeps of raking residuals
      rk <- rake(des, list(~sex, ~age), list(data.frame(sex = c("F", "M"), Freq = c(110, 140)),
                                            data.frame(age = c("a", "b", "c"), Freq = c(80, 90, 80))))
      p(paste(opt, ids, "rake() whole"), SE(svymean(~s, rk)))
    }
  }
}
