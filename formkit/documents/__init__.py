"""Official documents of the campaign: appraisal minutes, synthesis report, announcement decision."""
