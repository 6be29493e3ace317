"""Synthetic trials for benchmarks: `python manage.py seed_synthetic --trials N`.

Synthetic trials live under their own registry ("synthetic", ids SYN0000001…),
so they are never confused with real ones and `--clear` removes exactly them.

The distributions below were measured on the 2,587 real CAR-T trials of
../shared/corpus/bulk/ctgov-cart-snapshot-2026-08-22.json, loaded through our
own pipeline (`manage.py ingest --skip-checks …/bulk/` into an otherwise empty
database) and counted with SQL by `calibrate()`, which prints these constants
again from whatever real trials the current database holds. Counts are kept as
integer weights (out of 2,587) so a re-calibration can be pasted over them.

What the bulk file cannot tell (it is ClinicalTrials.gov only and carries only
some modules) is marked ASSUMPTION with its source: the ChiCTR-like share,
doses (the bulk has a per-kg dose for 49 trials only), sites (the bulk has
countries, no sites), study type, registration/completion dates.

Rows are written the way the importer writes them: the same denormalized
facet arrays (`_set_denormalized`'s sorted unique names), the same
`search_document()` (the importer's own function, with the antigens' synonyms),
`parsed` in `snapshot()` form, and `search_vector` with the importer's exact
expression (`SEARCH_VECTOR_SQL`), computed set-based in SQL.

Speed (100,000 trials in under two minutes on 2 cores): each batch is COPYed into
a temporary stage table and moved into catalogue_trial by one INSERT … SELECT
that computes the search vector, so every row is written once. (The first
version COPYed the rows and then ran one UPDATE … SET search_vector = … over all
of them; that rewrote every row, doubled the index maintenance and left 100,000
dead tuples: 21 s per 5,000 trials instead of 8 s.) For large loads the trial
table's secondary indexes are dropped and rebuilt from their own definitions in
the same transaction (`index_mode`). The next batch is generated in a thread
while PostgreSQL works on the current one.
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import json
import random
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone as dt_timezone
from decimal import Decimal
from typing import Any, Callable, Iterable, Sequence, TextIO

SYNTHETIC_REGISTRY = "synthetic"
ID_PREFIX = "SYN"
ID_DIGITS = 7
PARSER_VERSION = "synthetic-1"
SOURCE_FORMAT = "synthetic"
SNAPSHOT_DATE = date(2026, 8, 22)  # the bulk snapshot's date: "today" for synthetic data


# How calibrate() groups what it measures.
KEY_ANTIGEN_COUNT = 16  # diseases are drawn conditioned on the trial's most common antigen among the top 16
ANTIGEN_SET_MIN_COUNT = 2  # antigen combinations seen once are drawn from the marginal frequencies instead
AGE_PAIR_MIN_COUNT = 4  # (min, max) age pairs seen fewer times are drawn from the marginals instead


def registry_id(index: int) -> str:
    return f"{ID_PREFIX}{index:0{ID_DIGITS}d}"


# --------------------------------------------------------------------------------------------
# Measured distributions (calibrate() prints these; weights are trial counts out of 2,587)
# --------------------------------------------------------------------------------------------
# Measured by calibrate() on the 2,587 trials of the 2026-08-22 bulk snapshot (see the module docstring).
# Read from them: CD19 (1,024) and BCMA (378) dominate; 18% of the trials name several targets
# (471; 21% of those naming any, mostly BCMA+CD19, CD19+CD22, CD19+CD20); 2.1% state neither age
# limit (54: the age filter keeps them for any age) and 38% leave at least one side open (mostly no
# maximum); China (1,438) and the United States (745) dominate the countries; median title 92
# characters, median summary 310.
CALIBRATION_TRIALS = 2587
ANTIGEN_SETS = [(['CD19'], 697), ([], 380), (['BCMA'], 196), (['BCMA', 'CD19'], 127), (['CD19', 'CD22'], 86),
 (['CD19', 'CD20'], 74), (['CD7'], 74), (['Mesothelin'], 55), (['GPC3'], 50), (['B7-H3'], 48), (['CD70'], 37),
 (['NKG2D ligands'], 33), (['Claudin 18.2'], 30), (['CD123'], 28), (['CD20'], 27), (['CD30'], 27),
 (['HER2'], 27), (['CEA'], 26), (['CD22'], 25), (['GD2'], 25), (['CD33'], 22), (['CD5'], 19),
 (['GPRC5D'], 17), (['BCMA', 'GPRC5D'], 16), (['PSMA'], 16), (['CD19', 'CD20', 'CD22'], 13), (['CLL-1'], 12),
 (['EGFR'], 12), (['DLL3'], 11), (['MUC1'], 10), (['BAFF-R'], 9), (['EGFRvIII'], 9), (['IL13Rα2'], 9),
 (['BAFF-R', 'BCMA', 'TACI'], 8), (['CD33', 'CLL-1'], 8), (['FLT3'], 8), (['CD4'], 7), (['EpCAM'], 7),
 (['ROR1'], 7), (['TROP2'], 7), (['Folate receptor alpha'], 6), (['GUCY2C'], 6), (['SLAMF7'], 6),
 (['ALPP'], 5), (['BCMA', 'CD20'], 5), (['BCMA', 'CD70'], 5), (['CD19', 'CD70'], 5), (['CD38'], 5),
 (['GPNMB'], 5), (['CD79b'], 4), (['CDH17'], 4), (['EphA2'], 4), (['PSCA'], 4),
 (['BCMA', 'CD19', 'CD20', 'CD22'], 3), (['BCMA', 'SLAMF7'], 3), (['BCMA', 'TACI'], 3), (['CD147'], 3),
 (['IL1RAP'], 3), (['Kappa light chain'], 3), (['Lewis Y'], 3), (['MUC16'], 3), (['PD-L1'], 3),
 (['ROBO1'], 3), (['TRBC1'], 3), (['c-Met'], 3), (['AXL', 'CD73'], 2), (['B7-H3', 'EGFRvIII', 'IL13Rα2'], 2),
 (['B7-H3', 'GD2'], 2), (['B7-H3', 'IL13Rα2'], 2), (['BAFF-R', 'BCMA', 'CD19', 'TACI'], 2),
 (['CCR4', 'CD30'], 2), (['CCR9'], 2), (['CD123', 'CD33', 'CLL-1'], 2), (['CD138'], 2), (['CD171'], 2),
 (['CD19', 'Mesothelin'], 2), (['CD1a'], 2), (['CD20', 'CD30'], 2), (['CD38', 'CLL-1'], 2), (['CD44v6'], 2),
 (['CD6'], 2), (['CD84'], 2), (['CEA', 'GUCY2C', 'HER2'], 2), (['Claudin 18.2', 'HER2'], 2),
 (['Claudin 18.2', 'MUC1', 'Mesothelin'], 2), (['Claudin 18.2', 'NKG2D ligands'], 2), (['Claudin 6'], 2),
 (['EGFR', 'HER2', 'Mesothelin'], 2), (['Folate receptor alpha', 'MUC16', 'Mesothelin'], 2),
 (['GD2', 'MUC1', 'Mesothelin', 'PSMA'], 2), (['GPC2'], 2), (['HER2', 'MUC1', 'Mesothelin', 'ROR1'], 2),
 (['HLA-G'], 2), (['LMP1'], 2), (['MICA/MICB'], 2), (['MMP2'], 2), (['NY-ESO-1'], 2), (['Nectin-4'], 2),
 (['PSCA', 'PSMA'], 2), (['STEAP2'], 2), (None, 118)]
ANTIGEN_FREQUENCIES = [('CD19', 1024), ('BCMA', 378), ('CD22', 137), ('CD20', 134), ('CD7', 77), ('Mesothelin', 76), ('B7-H3', 60),
 ('GPC3', 57), ('CD70', 54), ('HER2', 45), ('Claudin 18.2', 40), ('GD2', 40), ('CD123', 39),
 ('NKG2D ligands', 39), ('CD33', 38), ('CD30', 36), ('GPRC5D', 36), ('CLL-1', 31), ('CEA', 30), ('PSMA', 26),
 ('CD5', 22), ('BAFF-R', 20), ('EGFR', 20), ('MUC1', 20), ('IL13Rα2', 18), ('CD38', 16), ('DLL3', 15),
 ('EGFRvIII', 15), ('TACI', 13), ('GUCY2C', 11), ('SLAMF7', 11), ('FLT3', 9), ('Folate receptor alpha', 9),
 ('ROR1', 9), ('EpCAM', 8), ('PSCA', 8), ('TROP2', 8), ('CD4', 7), ('PD-L1', 7), ('AXL', 6), ('EphA2', 6),
 ('ALPP', 5), ('CDH17', 5), ('GPNMB', 5), ('MUC16', 5), ('CD138', 4), ('CD56', 4), ('CD79b', 4),
 ('Lewis Y', 4), ('Nectin-4', 4), ('c-Met', 4), ('CCR4', 3), ('CD10', 3), ('CD133', 3), ('CD147', 3),
 ('CD44v6', 3), ('Claudin 6', 3), ('FAP', 3), ('FcRH5', 3), ('IL1RAP', 3), ('Kappa light chain', 3),
 ('ROBO1', 3), ('TRBC1', 3), ('ADGRE2', 2), ('CAIX', 2), ('CCR9', 2), ('CD146', 2), ('CD171', 2), ('CD1a', 2),
 ('CD6', 2), ('CD73', 2), ('CD84', 2), ('CRLF2', 2), ('CSPG4', 2), ('GPC2', 2), ('HLA-G', 2), ('LMP1', 2),
 ('MICA/MICB', 2), ('MMP2', 2), ('NY-ESO-1', 2)]
KEY_ANTIGENS = ['CD19', 'BCMA', 'CD22', 'CD20', 'CD7', 'Mesothelin', 'B7-H3', 'GPC3', 'CD70', 'HER2', 'Claudin 18.2', 'GD2',
 'CD123', 'NKG2D ligands', 'CD33', 'CD30']
CATEGORY_SETS_BY_KEY = {'': [(['hematologic_malignancy'], 230), (['solid_tumor'], 70), (['autoimmune'], 55),
      (['hematologic_malignancy', 'solid_tumor'], 7), (['hematologic_malignancy', 'other'], 6),
      (['other'], 5), (['hematologic_malignancy', 'other', 'solid_tumor'], 2), (['other', 'solid_tumor'], 2),
      ([], 2), (['autoimmune', 'hematologic_malignancy', 'solid_tumor'], 1)],
 '*': [(['solid_tumor'], 207), (['hematologic_malignancy'], 127),
       (['hematologic_malignancy', 'solid_tumor'], 5), (['other', 'solid_tumor'], 4), (['other'], 4),
       (['autoimmune', 'hematologic_malignancy'], 2), (['autoimmune'], 2), ([], 2),
       (['hematologic_malignancy', 'other'], 1)],
 'B7-H3': [(['solid_tumor'], 53), (['hematologic_malignancy'], 3), (['other', 'solid_tumor'], 2)],
 'BCMA': [(['hematologic_malignancy'], 212), (['autoimmune'], 26),
          (['autoimmune', 'hematologic_malignancy'], 1), (['other'], 1), (['solid_tumor'], 1)],
 'CD123': [(['hematologic_malignancy'], 34)],
 'CD19': [(['hematologic_malignancy'], 772), (['autoimmune'], 222), (['hematologic_malignancy', 'other'], 12),
          (['autoimmune', 'hematologic_malignancy'], 7), (['solid_tumor'], 5),
          (['hematologic_malignancy', 'solid_tumor'], 3), (['autoimmune', 'solid_tumor'], 1), (['other'], 1),
          ([], 1)],
 'CD20': [(['hematologic_malignancy'], 26), (['autoimmune'], 2), (['solid_tumor'], 1)],
 'CD22': [(['hematologic_malignancy'], 28), (['solid_tumor'], 1)],
 'CD30': [(['hematologic_malignancy'], 26), (['autoimmune', 'hematologic_malignancy'], 3)],
 'CD33': [(['hematologic_malignancy'], 31)],
 'CD7': [(['hematologic_malignancy'], 66), (['autoimmune'], 4), (['hematologic_malignancy', 'other'], 3),
         (['other'], 3)],
 'CD70': [(['solid_tumor'], 26), (['hematologic_malignancy'], 8), (['other'], 4),
          (['hematologic_malignancy', 'solid_tumor'], 2), (['autoimmune'], 1)],
 'Claudin 18.2': [(['solid_tumor'], 33)],
 'GD2': [(['solid_tumor'], 30), (['other'], 1)],
 'GPC3': [(['solid_tumor'], 51)],
 'HER2': [(['solid_tumor'], 35), (['other'], 3)],
 'Mesothelin': [(['solid_tumor'], 70), (['other', 'solid_tumor'], 2), (['other'], 2)],
 'NKG2D ligands': [(['solid_tumor'], 22), (['hematologic_malignancy'], 10), (['other'], 2)]}
DISEASES_BY_KEY = {'': [('B-cell non-Hodgkin lymphoma', 102), ('Multiple myeloma', 75),
      ('B-cell acute lymphoblastic leukemia', 49), ('Diffuse large B-cell lymphoma', 45),
      ('Hematologic malignancies (unspecified)', 32), ('Solid tumors (unspecified)', 31),
      ('Autoimmune disease (unspecified)', 29), ('Acute myeloid leukemia', 25),
      ('Systemic lupus erythematosus', 23), ('Leukemia (unspecified)', 16),
      ('B-cell malignancies (unspecified)', 15), ('Glioma (incl. glioblastoma)', 12),
      ('Mantle cell lymphoma', 12), ('Systemic sclerosis', 12), ('Cancer (unspecified)', 11)],
 '*': [('Solid tumors (unspecified)', 59), ('Acute myeloid leukemia', 40), ('Colorectal cancer', 35),
       ('Multiple myeloma', 34), ('Glioma (incl. glioblastoma)', 31), ('Pancreatic cancer', 28),
       ('Prostate cancer', 28), ('T-cell lymphoma', 27), ('Breast cancer', 26), ('Gastric cancer', 25),
       ('B-cell non-Hodgkin lymphoma', 23), ('Non-small cell lung cancer', 19),
       ('T-cell acute lymphoblastic leukemia/lymphoma', 18), ('Lung cancer', 14),
       ('B-cell acute lymphoblastic leukemia', 12)],
 'B7-H3': [('Solid tumors (unspecified)', 17), ('Glioma (incl. glioblastoma)', 15), ('Neuroblastoma', 9),
           ('Brain and CNS tumors (unspecified)', 6), ('Diffuse midline glioma / DIPG', 5),
           ('Osteosarcoma', 5), ('Ovarian cancer', 5), ('Rhabdoid tumor', 4),
           ('Sarcoma (soft tissue and bone)', 4), ('Acute myeloid leukemia', 3), ('CNS embryonal tumor', 3),
           ('Ependymoma', 3), ('Ewing sarcoma', 3), ('Lung cancer', 3), ('Medulloblastoma', 3)],
 'BCMA': [('Multiple myeloma', 199), ('Systemic lupus erythematosus', 12),
          ('Autoimmune disease (unspecified)', 10), ('Idiopathic inflammatory myopathy (myositis)', 9),
          ('Myasthenia gravis', 9), ('Multiple sclerosis', 7), ('Plasma cell leukemia', 7),
          ('Plasma cell neoplasm (other)', 7), ('AL amyloidosis', 6), ('B-cell non-Hodgkin lymphoma', 6),
          ('Systemic sclerosis', 6), ('Lupus nephritis', 5), ('Neuromyelitis optica spectrum disorder', 5),
          ('Leukemia (unspecified)', 3), ('ANCA-associated vasculitis', 2)],
 'CD123': [('Acute myeloid leukemia', 30), ('Blastic plasmacytoid dendritic cell neoplasm', 7),
           ('Leukemia (unspecified)', 4), ('B-cell acute lymphoblastic leukemia', 3),
           ('Hematologic malignancies (unspecified)', 3), ('Myeloid malignancies (unspecified)', 2),
           ('Acute leukemia (unspecified)', 1), ('Mixed-phenotype acute leukemia', 1),
           ('Myelodysplastic syndrome', 1), ('T-cell acute lymphoblastic leukemia/lymphoma', 1)],
 'CD19': [('B-cell non-Hodgkin lymphoma', 394), ('B-cell acute lymphoblastic leukemia', 307),
          ('Diffuse large B-cell lymphoma', 182), ('B-cell malignancies (unspecified)', 123),
          ('Systemic lupus erythematosus', 103), ('Autoimmune disease (unspecified)', 97),
          ('Leukemia (unspecified)', 85), ('Chronic lymphocytic leukemia / small lymphocytic lymphoma', 83),
          ('Follicular lymphoma', 66), ('Mantle cell lymphoma', 59), ('Systemic sclerosis', 54),
          ('Idiopathic inflammatory myopathy (myositis)', 49), ('Hematologic malignancies (unspecified)', 45),
          ('Multiple myeloma', 44), ('Primary mediastinal large B-cell lymphoma', 44)],
 'CD20': [('B-cell non-Hodgkin lymphoma', 23), ('Diffuse large B-cell lymphoma', 6),
          ('Chronic lymphocytic leukemia / small lymphocytic lymphoma', 5), ('Follicular lymphoma', 5),
          ('Mantle cell lymphoma', 5), ('B-cell malignancies (unspecified)', 4),
          ('Marginal zone lymphoma', 3), ('B-cell acute lymphoblastic leukemia', 2),
          ('Hematologic malignancies (unspecified)', 2), ('Primary mediastinal large B-cell lymphoma', 2),
          ('ANCA-associated vasculitis', 1), ('Autoimmune disease (unspecified)', 1), ('Burkitt lymphoma', 1),
          ('High-grade B-cell lymphoma', 1), ('Idiopathic inflammatory myopathy (myositis)', 1)],
 'CD22': [('B-cell non-Hodgkin lymphoma', 15), ('B-cell acute lymphoblastic leukemia', 13),
          ('B-cell malignancies (unspecified)', 13), ('Leukemia (unspecified)', 10),
          ('Diffuse large B-cell lymphoma', 6), ('Follicular lymphoma', 4), ('Mantle cell lymphoma', 3),
          ('Hairy cell leukemia', 2), ('Marginal zone lymphoma', 2), ('Burkitt lymphoma', 1),
          ('Cervical cancer', 1), ('Chronic lymphocytic leukemia / small lymphocytic lymphoma', 1),
          ('High-grade B-cell lymphoma', 1), ('Lymphoid malignancies (unspecified)', 1),
          ('Non-small cell lung cancer', 1)],
 'CD30': [('B-cell non-Hodgkin lymphoma', 20), ('Hodgkin lymphoma', 18), ('T-cell lymphoma', 13),
          ('Diffuse large B-cell lymphoma', 5), ('Autoimmune disease (unspecified)', 3),
          ('Lymphoid malignancies (unspecified)', 3), ('Primary mediastinal large B-cell lymphoma', 2)],
 'CD33': [('Acute myeloid leukemia', 30), ('Hematologic malignancies (unspecified)', 3),
          ('Follicular lymphoma', 1), ('Leukemia (unspecified)', 1), ('Myelodysplastic syndrome', 1),
          ('Myeloid malignancies (unspecified)', 1)],
 'CD7': [('T-cell acute lymphoblastic leukemia/lymphoma', 42), ('T-cell lymphoma', 30),
         ('Hematologic malignancies (unspecified)', 17), ('B-cell acute lymphoblastic leukemia', 13),
         ('Acute myeloid leukemia', 10), ('B-cell non-Hodgkin lymphoma', 10),
         ('Acute leukemia (unspecified)', 5), ('Cancer (unspecified)', 3),
         ('Lymphoid malignancies (unspecified)', 3), ('Aplastic anemia', 2),
         ('Autoimmune disease (unspecified)', 2),
         ('Chronic lymphocytic leukemia / small lymphocytic lymphoma', 2), ('Leukemia (unspecified)', 2),
         ('Type 1 diabetes', 2), ('Idiopathic inflammatory myopathy (myositis)', 1)],
 'CD70': [('Renal cell carcinoma', 19), ('Solid tumors (unspecified)', 10), ('Cervical cancer', 8),
          ('Ovarian cancer', 8), ('Acute myeloid leukemia', 6), ('B-cell non-Hodgkin lymphoma', 6),
          ('T-cell lymphoma', 5), ('Cancer (unspecified)', 4), ('Glioma (incl. glioblastoma)', 3),
          ('Hematologic malignancies (unspecified)', 3), ('Multiple myeloma', 3), ('Breast cancer', 2),
          ('Hodgkin lymphoma', 2), ('Myelodysplastic syndrome', 2), ('Pancreatic cancer', 2)],
 'Claudin 18.2': [('Gastric cancer', 17), ('Pancreatic cancer', 16), ('Solid tumors (unspecified)', 14),
                  ('Gastrointestinal cancer (unspecified)', 2), ('Colorectal cancer', 1),
                  ('Esophageal cancer', 1), ('Ovarian cancer', 1)],
 'GD2': [('Neuroblastoma', 17), ('Osteosarcoma', 7), ('Glioma (incl. glioblastoma)', 5),
         ('Diffuse midline glioma / DIPG', 4), ('Melanoma', 4), ('Solid tumors (unspecified)', 4),
         ('Sarcoma (soft tissue and bone)', 3), ('Small cell lung cancer', 3),
         ('Brain and CNS tumors (unspecified)', 2), ('CNS embryonal tumor', 2), ('Ewing sarcoma', 2),
         ('Breast cancer', 1), ('Cancer (unspecified)', 1), ('Ependymoma', 1), ('Lung cancer', 1)],
 'GPC3': [('Hepatocellular carcinoma', 45), ('Solid tumors (unspecified)', 11),
          ('Sarcoma (soft tissue and bone)', 8), ('Germ cell tumor', 6), ('Rhabdoid tumor', 6),
          ('Rhabdomyosarcoma', 6), ('Wilms tumor', 5), ('Non-small cell lung cancer', 4),
          ('Hepatoblastoma', 3), ('Cholangiocarcinoma / biliary tract cancer', 1),
          ('Glioma (incl. glioblastoma)', 1), ('Lung cancer', 1), ('Ovarian cancer', 1)],
 'HER2': [('Solid tumors (unspecified)', 12), ('Breast cancer', 10), ('Gastric cancer', 8),
          ('Colorectal cancer', 5), ('Glioma (incl. glioblastoma)', 5), ('Sarcoma (soft tissue and bone)', 4),
          ('Bladder and urothelial cancer', 3), ('Brain and CNS tumors (unspecified)', 3),
          ('Cancer (unspecified)', 3), ('Head and neck cancer', 3), ('Lung cancer', 3), ('Ovarian cancer', 3),
          ('Pancreatic cancer', 3), ('Cholangiocarcinoma / biliary tract cancer', 2),
          ('Endometrial cancer', 2)],
 'Mesothelin': [('Solid tumors (unspecified)', 31), ('Ovarian cancer', 21), ('Pancreatic cancer', 20),
                ('Mesothelioma', 14), ('Breast cancer', 8), ('Colorectal cancer', 6), ('Lung cancer', 6),
                ('Non-small cell lung cancer', 5), ('Cancer (unspecified)', 4), ('Cervical cancer', 2),
                ('Endometrial cancer', 2), ('Peritoneal metastases', 2),
                ('Cholangiocarcinoma / biliary tract cancer', 1), ('Esophageal cancer', 1),
                ('Gastric cancer', 1)],
 'NKG2D ligands': [('Colorectal cancer', 11), ('Solid tumors (unspecified)', 10),
                   ('Acute myeloid leukemia', 9), ('Glioma (incl. glioblastoma)', 4),
                   ('Myelodysplastic syndrome', 4), ('Hepatocellular carcinoma', 3), ('Liver metastases', 3),
                   ('Cancer (unspecified)', 2), ('Medulloblastoma', 2), ('Multiple myeloma', 2),
                   ('Pancreatic cancer', 2), ('Sarcoma (soft tissue and bone)', 2), ('Breast cancer', 1),
                   ('Gastric cancer', 1), ('Nasopharyngeal carcinoma', 1)]}
DISEASES_BY_CATEGORY = {'autoimmune': [('Autoimmune disease (unspecified)', 144), ('Systemic lupus erythematosus', 140),
                ('Systemic sclerosis', 74), ('Idiopathic inflammatory myopathy (myositis)', 68),
                ('Lupus nephritis', 43), ('ANCA-associated vasculitis', 39), ('Myasthenia gravis', 36),
                ('Multiple sclerosis', 30), ("Sjögren's syndrome", 27), ('Rheumatoid arthritis', 20),
                ('Neuromyelitis optica spectrum disorder', 17), ('Autoimmune hemolytic anemia', 16),
                ('Immune thrombocytopenia', 15), ('IgA nephropathy', 11), ('IgG4-related disease', 9),
                ('Membranous nephropathy', 8), ('Antiphospholipid syndrome', 6),
                ('Chronic inflammatory demyelinating polyneuropathy', 6), ('Nephrotic syndrome', 5),
                ('Autoimmune encephalitis', 4), ('Stiff person syndrome', 4), ("Graves' disease", 3),
                ('Type 1 diabetes', 3), ('Pemphigus', 2), ('Anti-GBM disease', 1), ('Evans syndrome', 1),
                ('Juvenile idiopathic arthritis', 1)],
 'hematologic_malignancy': [('B-cell non-Hodgkin lymphoma', 599),
                            ('B-cell acute lymphoblastic leukemia', 400), ('Multiple myeloma', 357),
                            ('Diffuse large B-cell lymphoma', 253),
                            ('B-cell malignancies (unspecified)', 162), ('Acute myeloid leukemia', 160),
                            ('Leukemia (unspecified)', 130), ('Hematologic malignancies (unspecified)', 117),
                            ('Chronic lymphocytic leukemia / small lymphocytic lymphoma', 110),
                            ('Follicular lymphoma', 92), ('Mantle cell lymphoma', 86),
                            ('T-cell lymphoma', 81), ('T-cell acute lymphoblastic leukemia/lymphoma', 66),
                            ('Primary mediastinal large B-cell lymphoma', 59),
                            ('High-grade B-cell lymphoma', 41), ('Hodgkin lymphoma', 30),
                            ('Lymphoid malignancies (unspecified)', 30), ('Marginal zone lymphoma', 24),
                            ('Plasma cell leukemia', 21), ('Primary CNS lymphoma', 18),
                            ('Myelodysplastic syndrome', 17), ('Plasma cell neoplasm (other)', 15),
                            ('Acute leukemia (unspecified)', 14),
                            ('Waldenström macroglobulinemia / lymphoplasmacytic lymphoma', 12),
                            ('AL amyloidosis', 11), ('Burkitt lymphoma', 11), ('Prolymphocytic leukemia', 9),
                            ('Blastic plasmacytoid dendritic cell neoplasm', 8),
                            ('Myeloid malignancies (unspecified)', 5), ('Hairy cell leukemia', 4),
                            ('Mixed-phenotype acute leukemia', 4), ('Chronic myeloid leukemia', 2),
                            ('POEMS syndrome', 2)],
 'other': [('Cancer (unspecified)', 42), ('Immune effector cell-associated neurotoxicity syndrome', 9),
           ('Cytokine release syndrome', 5), ('HIV infection', 3), ('Aplastic anemia', 2),
           ('Graft-versus-host disease', 1), ('Hidradenitis suppurativa', 1)],
 'solid_tumor': [('Solid tumors (unspecified)', 203), ('Pancreatic cancer', 87),
                 ('Glioma (incl. glioblastoma)', 76), ('Hepatocellular carcinoma', 74),
                 ('Colorectal cancer', 68), ('Gastric cancer', 62), ('Ovarian cancer', 61),
                 ('Breast cancer', 57), ('Sarcoma (soft tissue and bone)', 37),
                 ('Non-small cell lung cancer', 36), ('Lung cancer', 35), ('Neuroblastoma', 33),
                 ('Prostate cancer', 32), ('Renal cell carcinoma', 30),
                 ('Brain and CNS tumors (unspecified)', 22), ('Osteosarcoma', 21), ('Melanoma', 19),
                 ('Mesothelioma', 19), ('Esophageal cancer', 18), ('Small cell lung cancer', 17),
                 ('Head and neck cancer', 16), ('Rhabdoid tumor', 15), ('Rhabdomyosarcoma', 15),
                 ('Germ cell tumor', 13), ('Cervical cancer', 12), ('Diffuse midline glioma / DIPG', 11),
                 ('Ewing sarcoma', 11), ('Cholangiocarcinoma / biliary tract cancer', 10),
                 ('Liver metastases', 10), ('Medulloblastoma', 10), ('Nasopharyngeal carcinoma', 10),
                 ('Peritoneal metastases', 10), ('Wilms tumor', 9), ('CNS embryonal tumor', 8),
                 ('Ependymoma', 8), ('Gastrointestinal cancer (unspecified)', 8), ('Neuroendocrine tumor', 8),
                 ('Bladder and urothelial cancer', 7), ('Endometrial cancer', 7), ('Hepatoblastoma', 6)]}
DISEASE_COUNTS = [(1, 1611), (2, 416), (3, 204), (4, 140), (5, 82), (6, 45), (7, 42), (8, 27), (9, 4), (10, 3), (11, 2),
 (14, 2), (12, 1), (13, 1), (15, 1), (16, 1)]
PHASES = [('phase1', 1113), ('phase1_phase2', 529), ('early_phase1', 395), ('not_applicable', 259), ('phase2', 238),
 ('phase3', 34), ('phase2_phase3', 14), ('phase4', 5)]
STATUSES = [('recruiting', 929), ('unknown', 609), ('not_yet_recruiting', 302), ('active_not_recruiting', 237),
 ('completed', 234), ('terminated', 137), ('withdrawn', 85), ('suspended', 34),
 ('enrolling_by_invitation', 20)]
CELL_SOURCES = [('unknown', 1737), ('autologous', 575), ('allogeneic', 275)]
AGE_PAIRS = [((18.0, None), 833), ((18.0, 75.0), 387), ((18.0, 70.0), 345), ((18.0, 65.0), 102), ((18.0, 80.0), 79),
 ((None, None), 54), ((3.0, 70.0), 35), ((14.0, 75.0), 30), ((18.0, 60.0), 21), ((2.0, 70.0), 21),
 ((1.0, 70.0), 20), ((1.0, None), 18), ((2.0, 75.0), 16), ((3.0, 75.0), 16), ((14.0, 70.0), 15),
 ((18.0, 69.0), 15), ((3.0, None), 15), ((1.0, 75.0), 14), ((None, 21.0), 14), ((0.5, 75.0), 13),
 ((1.0, 18.0), 13), ((12.0, None), 13), ((18.0, 85.0), 12), ((19.0, None), 12), ((12.0, 75.0), 11),
 ((18.0, 120.0), 11), ((1.0, 25.0), 9), ((1.0, 26.0), 9), ((16.0, None), 9), ((18.0, 100.0), 9),
 ((None, 75.0), 9), ((1.0, 30.0), 8), ((14.0, 65.0), 8), ((5.0, None), 8), ((None, 30.0), 8),
 ((None, 70.0), 8), ((1.0, 80.0), 7), ((6.0, 65.0), 7), ((None, 25.0), 7), ((1.0, 21.0), 6),
 ((16.0, 70.0), 6), ((18.0, 73.0), 6), ((3.0, 18.0), 6), ((3.0, 65.0), 6), ((1.0, 65.0), 5),
 ((12.0, 65.0), 5), ((12.0, 70.0), 5), ((14.0, None), 5), ((15.0, 65.0), 5), ((16.0, 65.0), 5),
 ((16.0, 75.0), 5), ((18.0, 79.0), 5), ((2.0, 65.0), 5), ((21.0, 90.0), 5), ((3.0, 80.0), 5),
 ((0.0, 18.0), 4), ((0.0, 29.0), 4), ((0.5, None), 4), ((1.0, 24.0), 4), ((1.0, 60.0), 4), ((14.0, 80.0), 4),
 ((15.0, 80.0), 4), ((18.0, 55.0), 4), ((18.0, 74.0), 4), ((18.0, 78.0), 4), ((18.0, 99.0), 4),
 ((2.0, 60.0), 4), ((21.0, None), 4), ((3.0, 25.0), 4), ((3.0, 39.0), 4), ((30.0, 75.0), 4), ((5.0, 70.0), 4),
 ((6.0, 70.0), 4), ((60.0, None), 4), (None, 185)]
MIN_AGES = [(18.0, 1859), (1.0, 136), (None, 111), (3.0, 94), (14.0, 68), (2.0, 59), (12.0, 37), (0.5, 30), (16.0, 29),
 (5.0, 20), (6.0, 19), (19.0, 18), (0.0, 15), (15.0, 14), (21.0, 10), (4.0, 10), (10.0, 5), (30.0, 5),
 (8.0, 5), (0.08, 4), (0.25, 4), (20.0, 4), (60.0, 4), (1.5, 3), (13.0, 3), (17.0, 3), (25.0, 3), (7.0, 3),
 (40.0, 2), (50.0, 2)]
MAX_AGES = [(None, 995), (75.0, 516), (70.0, 483), (65.0, 155), (80.0, 112), (60.0, 35), (18.0, 34), (25.0, 29),
 (30.0, 25), (21.0, 24), (85.0, 18), (69.0, 16), (90.0, 13), (26.0, 12), (29.0, 12), (100.0, 11), (120.0, 11),
 (50.0, 7), (24.0, 6), (55.0, 6), (73.0, 6), (74.0, 6), (79.0, 6), (35.0, 5), (39.0, 5), (78.0, 5), (16.0, 4),
 (17.0, 4), (99.0, 4), (14.0, 3)]
COUNTRY_COUNTS = [(1, 2253), (0, 173), (2, 57), (3, 24), (4, 22), (6, 11), (8, 8), (5, 6), (10, 5), (15, 5), (14, 4), (11, 3),
 (16, 3), (7, 3), (12, 2), (18, 2), (13, 1), (17, 1), (23, 1), (26, 1), (31, 1), (33, 1)]
SINGLE_COUNTRIES = [('China', 1432), ('United States', 611), ('United Kingdom', 21), ('Germany', 18), ('Italy', 18),
 ('Spain', 17), ('France', 15), ('Canada', 12), ('South Korea', 12), ('Australia', 11), ('Israel', 11),
 ('Japan', 8), ('Taiwan', 8), ('Belarus', 6), ('Singapore', 6), ('Thailand', 5), ('Iran', 4), ('Malaysia', 4),
 ('Belgium', 3), ('Brazil', 3), ('New Zealand', 3), ('Russia', 3), ('Sweden', 3), ('Switzerland', 3),
 ('Czechia', 2), ('Hong Kong', 2), ('Netherlands', 2), ('Pakistan', 2), ('Turkey (Türkiye)', 2),
 ('Vietnam', 2)]
MULTI_COUNTRIES = [('United States', 134), ('Australia', 74), ('Spain', 67), ('France', 65), ('Germany', 63),
 ('United Kingdom', 56), ('Canada', 54), ('Italy', 39), ('Netherlands', 38), ('Japan', 33), ('Belgium', 29),
 ('Israel', 20), ('Austria', 19), ('Poland', 17), ('South Korea', 16), ('Sweden', 16), ('Brazil', 15),
 ('Switzerland', 15), ('Czechia', 13), ('Denmark', 13), ('Norway', 13), ('Singapore', 12), ('Taiwan', 11),
 ('Saudi Arabia', 9), ('Greece', 8), ('Portugal', 7), ('China', 6), ('Finland', 6), ('Hungary', 6),
 ('Turkey (Türkiye)', 6), ('Argentina', 5), ('Romania', 5), ('Puerto Rico', 3), ('Chile', 2), ('Colombia', 2),
 ('Hong Kong', 2), ('Bulgaria', 1), ('Christmas Island', 1), ('Croatia', 1), ('Egypt', 1)]
START_YEARS = [(2009, 1), (2010, 4), (2011, 2), (2012, 5), (2013, 2), (2014, 8), (2015, 19), (2016, 30), (2017, 101),
 (2018, 116), (2019, 151), (2020, 170), (2021, 203), (2022, 212), (2023, 234), (2024, 332), (2025, 381),
 (2026, 324), (2027, 4), (None, 288)]
ENROLLMENT_QUANTILES = [0, 3, 7, 10, 11, 12, 16, 18, 20, 20, 23, 25, 30, 30, 37, 45, 52, 66, 95, 144, 5300]
ENROLLMENT_MISSING = 10
TITLE_LENGTH_QUANTILES = [18, 45, 55, 62, 67, 71, 75, 79, 84, 88, 92, 96, 101, 105, 110, 115, 119, 129, 145, 174, 300]
SUMMARY_LENGTH_QUANTILES = [37, 132, 151, 168, 182, 198, 215, 231, 248, 273, 310, 344, 389, 443, 525, 630, 762, 943, 1257, 1771, 4957]
SUMMARY_MISSING = 0
SPONSORS = [('Zhejiang University', 86), ('Institute of Hematology & Blood Diseases Hospital, China', 67),
 ('Chinese PLA General Hospital', 53), ('Chongqing Precision Biotech Co., Ltd', 51),
 ('University of Pennsylvania', 45), ('Baylor College of Medicine', 41),
 ('Shenzhen Geno-Immune Medical Institute', 40),
 ('Union Hospital, Tongji Medical College, Huazhong University of Science and Technology', 40),
 ('The First Affiliated Hospital of Soochow University', 39), ('National Cancer Institute (NCI)', 38),
 ('PersonGen BioTherapeutics (Suzhou) Co., Ltd.', 38), ('Hebei Senlang Biotechnology Inc., Ltd.', 37),
 ('Kite, A Gilead Company', 33), ('Beijing Biotech', 32), ('Memorial Sloan Kettering Cancer Center', 31),
 ('City of Hope Medical Center', 30), ('M.D. Anderson Cancer Center', 28),
 ('Second Affiliated Hospital, Zhejiang University, School of Medicine', 28),
 ('Beijing Immunochina Medical Science & Technology Co., Ltd.', 26), ('Ruijin Hospital', 26),
 ('Novartis Pharmaceuticals', 23), ('Beijing Boren Hospital', 21), ('Beijing GoBroad Hospital', 21),
 ('Peking University', 21), ('UNC Lineberger Comprehensive Cancer Center', 21),
 ('Fred Hutchinson Cancer Center', 19), ("Seattle Children's Hospital", 19),
 ("Peking University People's Hospital", 17),
 ("920th Hospital of Joint Logistics Support Force of People's Liberation Army of China", 16),
 ('The First Affiliated Hospital with Nanjing Medical University', 16), ('Xinqiao Hospital of Chongqing', 16),
 ('Xuzhou Medical University', 16), ('Miltenyi Biomedicine GmbH', 15), ('Stanford University', 15),
 ('The Affiliated Hospital of Xuzhou Medical University', 15),
 ("The Children's Hospital of Zhejiang University School of Medicine", 14), ('Tongji Hospital', 14),
 ('iCell Gene Therapeutics', 14), ('Bioray Laboratories', 13), ('Celgene', 13)]
CONDITION_COUNTS = [(1, 1385), (2, 492), (3, 242), (4, 143), (5, 92), (6, 74), (7, 45), (8, 25), (9, 20), (10, 17), (23, 7),
 (15, 6), (17, 6), (11, 5), (13, 5), (14, 5), (12, 4), (16, 4), (0, 2), (22, 2), (18, 1), (19, 1), (20, 1),
 (26, 1), (31, 1), (34, 1)]
INTERVENTION_COUNTS = [(1, 1822), (3, 270), (2, 208), (4, 119), (5, 41), (0, 30), (6, 25), (7, 13), (8, 13), (11, 11), (9, 11),
 (12, 8), (10, 4), (13, 3), (15, 3), (14, 2), (20, 2), (19, 1), (21, 1)]
PER_KG_DOSE_IN_BULK = 49

TAIL_SETS_MULTI = (77, 41)  # the 118 antigen combinations seen once: 77 multi-target, 41 single rare antigens

# --------------------------------------------------------------------------------------------
# ASSUMPTIONS: what the bulk file cannot measure
# --------------------------------------------------------------------------------------------
# ChiCTR-like share. The bulk is ClinicalTrials.gov only; ChiCTR holds roughly a fifth of
# registered CAR-T trials. These get a Chinese title (title_zh), China as the only country,
# a Chinese sponsor, ChiCTR-style raw strings and no brief summary (as the ChiCTR sample pages).
CHICTR_SHARE = 0.20
# Doses: 7 of the 19 full registry pages we have (samples/ + ../shared/corpus/ctgov-v2/) state a
# per-kg dose; the bulk (interventions by name only) has one for 49 of 2,587 trials.
PER_KG_DOSE_SHARE = 7 / 19
FLAT_DOSE_SHARE = 0.08  # trials stating only flat doses ("1×10^8 CAR-T cells"): no per-kg range
DOSE_LEVEL_COUNTS = [(1, 2), (2, 2), (3, 2), (4, 1)]  # levels per dosed trial, same 19 pages
# Typical CAR-T levels (cells/kg); escalation starts mostly at 1e5–1e6 (bulk per-kg values: 5e5 and
# 1e6 are the most common, then 2e6, 3e6, 1e5, 1e7).
DOSE_LADDER = [1e5, 2e5, 3e5, 5e5, 1e6, 2e6, 3e6, 5e6, 1e7, 2e7, 5e7, 1e8]
DOSE_START_WEIGHTS = [10, 4, 6, 16, 20, 10, 8, 6, 4, 1, 1, 0]
DOSE_RANGE_SHARE = 0.2  # a level stated as a range, "(1-2)×10^6/kg"
# Sites: the bulk has countries but no sites; of the 19 full pages 15 have one site, two have none,
# one has 3 and one 5. Every listed country gets at least one site.
SITE_COUNTS = [(1, 15), (3, 1), (5, 1)]
# Study type: not in the bulk; the full pages are interventional. A quarter of the trials without
# a phase are made observational (registries give observational studies no phase).
OBSERVATIONAL_SHARE_WITHOUT_PHASE = 0.25

# --------------------------------------------------------------------------------------------
# Text material
# --------------------------------------------------------------------------------------------
DISEASE_ZH = {
    "B-cell non-Hodgkin lymphoma": "B细胞非霍奇金淋巴瘤",
    "B-cell acute lymphoblastic leukemia": "B细胞急性淋巴细胞白血病",
    "Multiple myeloma": "多发性骨髓瘤",
    "Diffuse large B-cell lymphoma": "弥漫大B细胞淋巴瘤",
    "Solid tumors (unspecified)": "晚期实体瘤",
    "B-cell malignancies (unspecified)": "B细胞恶性肿瘤",
    "Acute myeloid leukemia": "急性髓系白血病",
    "Autoimmune disease (unspecified)": "自身免疫性疾病",
    "Systemic lupus erythematosus": "系统性红斑狼疮",
    "Leukemia (unspecified)": "白血病",
    "Hematologic malignancies (unspecified)": "血液系统恶性肿瘤",
    "Chronic lymphocytic leukemia / small lymphocytic lymphoma": "慢性淋巴细胞白血病/小淋巴细胞淋巴瘤",
    "Follicular lymphoma": "滤泡性淋巴瘤",
    "Pancreatic cancer": "胰腺癌",
    "Mantle cell lymphoma": "套细胞淋巴瘤",
    "T-cell lymphoma": "T细胞淋巴瘤",
    "Glioma (incl. glioblastoma)": "胶质母细胞瘤",
    "Systemic sclerosis": "系统性硬化症",
    "Hepatocellular carcinoma": "肝细胞癌",
    "Colorectal cancer": "结直肠癌",
    "Idiopathic inflammatory myopathy (myositis)": "特发性炎性肌病",
    "T-cell acute lymphoblastic leukemia/lymphoma": "T细胞急性淋巴细胞白血病/淋巴瘤",
    "Gastric cancer": "胃癌",
    "Ovarian cancer": "卵巢癌",
    "Primary mediastinal large B-cell lymphoma": "原发纵隔大B细胞淋巴瘤",
    "Breast cancer": "乳腺癌",
    "Lupus nephritis": "狼疮性肾炎",
    "High-grade B-cell lymphoma": "高级别B细胞淋巴瘤",
    "ANCA-associated vasculitis": "ANCA相关性血管炎",
    "Sarcoma (soft tissue and bone)": "骨与软组织肉瘤",
    "Myasthenia gravis": "重症肌无力",
    "Non-small cell lung cancer": "非小细胞肺癌",
    "Lung cancer": "肺癌",
    "Neuroblastoma": "神经母细胞瘤",
    "Prostate cancer": "前列腺癌",
    "Hodgkin lymphoma": "霍奇金淋巴瘤",
    "Multiple sclerosis": "多发性硬化",
    "Renal cell carcinoma": "肾细胞癌",
    "Sjögren's syndrome": "干燥综合征",
    "Marginal zone lymphoma": "边缘区淋巴瘤",
    "Osteosarcoma": "骨肉瘤",
    "Plasma cell leukemia": "浆细胞白血病",
    "Rheumatoid arthritis": "类风湿关节炎",
    "Mesothelioma": "间皮瘤",
    "Melanoma": "黑色素瘤",
    "Primary CNS lymphoma": "原发中枢神经系统淋巴瘤",
    "Esophageal cancer": "食管癌",
    "Neuromyelitis optica spectrum disorder": "视神经脊髓炎谱系疾病",
    "Small cell lung cancer": "小细胞肺癌",
    "Myelodysplastic syndrome": "骨髓增生异常综合征",
    "Ewing sarcoma": "尤文肉瘤",
    "Rhabdomyosarcoma": "横纹肌肉瘤",
    "Burkitt lymphoma": "伯基特淋巴瘤",
    "Cervical cancer": "宫颈癌",
    "Nasopharyngeal carcinoma": "鼻咽癌",
    "Cholangiocarcinoma / biliary tract cancer": "胆管癌",
    "Immune thrombocytopenia": "免疫性血小板减少症",
    "IgA nephropathy": "IgA肾病",
    "AL amyloidosis": "AL型淀粉样变性",
    "Head and neck cancer": "头颈部肿瘤",
}
CATEGORY_ZH = {
    "hematologic_malignancy": "血液系统恶性肿瘤",
    "solid_tumor": "实体瘤",
    "autoimmune": "自身免疫性疾病",
    "other": "肿瘤",
}
CHINESE_SPONSORS = {
    "Zhejiang University", "Institute of Hematology & Blood Diseases Hospital, China", "Chinese PLA General Hospital",
    "Chongqing Precision Biotech Co., Ltd", "Shenzhen Geno-Immune Medical Institute",
    "Union Hospital, Tongji Medical College, Huazhong University of Science and Technology",
    "The First Affiliated Hospital of Soochow University", "PersonGen BioTherapeutics (Suzhou) Co., Ltd.",
    "Hebei Senlang Biotechnology Inc., Ltd.", "Beijing Biotech",
    "Second Affiliated Hospital, Zhejiang University, School of Medicine",
    "Beijing Immunochina Medical Science & Technology Co., Ltd.", "Ruijin Hospital", "Beijing Boren Hospital",
    "Beijing GoBroad Hospital", "Peking University", "Peking University People's Hospital",
    "920th Hospital of Joint Logistics Support Force of People's Liberation Army of China",
    "The First Affiliated Hospital with Nanjing Medical University", "Xinqiao Hospital of Chongqing",
    "Xuzhou Medical University", "The Affiliated Hospital of Xuzhou Medical University",
    "The Children's Hospital of Zhejiang University School of Medicine", "Tongji Hospital",
    "Bioray Laboratories",
}  # fmt: skip
CITIES = {
    "China": ["Beijing", "Shanghai", "Hangzhou", "Wuhan", "Guangzhou", "Chongqing", "Suzhou", "Tianjin",
              "Chengdu", "Nanjing", "Xuzhou", "Shenzhen", "Xi'an", "Jinan", "Changsha", "Zhengzhou"],
    "United States": ["Philadelphia", "Houston", "New York", "Seattle", "Los Angeles", "Boston", "Duarte",
                      "Bethesda", "Chapel Hill", "Stanford", "Chicago", "Nashville", "Baltimore", "San Francisco"],
    "United Kingdom": ["London", "Manchester", "Birmingham"], "Germany": ["Berlin", "Munich", "Heidelberg"],
    "France": ["Paris", "Lyon", "Marseille"], "Spain": ["Barcelona", "Madrid", "Valencia"],
    "Italy": ["Milan", "Rome", "Bologna"], "Canada": ["Toronto", "Montreal", "Vancouver"],
    "Australia": ["Melbourne", "Sydney", "Brisbane"], "Japan": ["Tokyo", "Osaka", "Nagoya"],
    "Netherlands": ["Amsterdam", "Utrecht"], "Belgium": ["Brussels", "Leuven"], "Israel": ["Tel Aviv", "Haifa"],
    "South Korea": ["Seoul", "Busan"], "Taiwan": ["Taipei"], "Singapore": ["Singapore"],
}  # fmt: skip
INSTITUTION_KINDS = {
    "China": ["People's Hospital", "First Affiliated Hospital", "Cancer Hospital", "University Hospital",
              "Children's Hospital", "Union Hospital"],
    "*": ["Cancer Center", "University Hospital", "Medical Center", "Children's Hospital", "Cancer Institute"],
}
# Other interventions listed beside the CAR-T product (bulk, counts of 2,587).
OTHER_INTERVENTIONS = [
    ("Cyclophosphamide", 341), ("Fludarabine", 336), ("Leukapheresis", 46), ("Biospecimen Collection", 44),
    ("Computed Tomography", 33), ("Positron Emission Tomography", 30), ("Magnetic Resonance Imaging", 22),
    ("Dexamethasone", 21), ("Bone Marrow Biopsy", 20), ("Bendamustine", 18), ("Bone Marrow Aspiration", 17),
    ("Rituximab", 17), ("Lenalidomide", 14), ("Tocilizumab", 10), ("Questionnaire Administration", 10),
]  # fmt: skip
CONDITION_PREFIXES = ["", "", "", "Relapsed/Refractory ", "Refractory ", "Recurrent ", "Relapsed "]
RR = ["", "Relapsed/Refractory ", "Relapsed or Refractory ", "Refractory ", "Advanced "]
PHASE_TITLE = {
    "early_phase1": "An Early Phase 1", "phase1": "A Phase 1", "phase1_phase2": "A Phase 1/2",
    "phase2": "A Phase 2", "phase2_phase3": "A Phase 2/3", "phase3": "A Phase 3", "phase4": "A Phase 4",
    "not_applicable": "A",
}  # fmt: skip
TITLE_TEMPLATES = [
    "{product} in {rr}{disease}",
    "{product} for {rr}{disease}",
    "{product} Therapy for {disease}",
    "A Study of {product} in Participants With {rr}{disease}",
    "Clinical Study of {product} in {rr}{disease}",
    "{phase} Study of {product} in Patients With {rr}{disease}",
    "Safety and Efficacy of {product} in the Treatment of {rr}{disease}",
    "{product} Immunotherapy for Patients With {antigen}-positive {rr}{disease}",
    "{phase}, Single-arm Study of {product} in Subjects With {rr}{disease} ({acronym})",
    "{phase}, Open-label, Dose-escalation Study to Evaluate the Safety, Tolerability and Preliminary Efficacy "
    "of {product} in Patients With {rr}{disease}",
    "{phase}, Open-label, Multicenter Study to Evaluate the Safety, Tolerability, Cellular Kinetics, "
    "Pharmacodynamics and Preliminary Efficacy of {product} in Participants With {rr}{disease} ({acronym})",
]
TITLE_SUFFIXES = [" ({acronym})", ": a Prospective Study", " After Lymphodepleting Chemotherapy",
                  " in Children and Young Adults", " (Long-term Follow-up)"]
SUMMARY_OPENERS = [
    "This is {article} {design} study to evaluate the safety and efficacy of {product} in patients with {rr_lower}{disease}.",
    "The purpose of this study is to assess the safety, tolerability and preliminary efficacy of {product} in subjects with {rr_lower}{disease}.",
    "This study will test whether {product} can be given safely to people with {rr_lower}{disease}.",
]
SUMMARY_SENTENCES = [
    "The primary objective is to assess dose-limiting toxicities and to determine the recommended phase 2 dose.",
    "Secondary objectives include the overall response rate, duration of response, progression-free survival and overall survival.",
    "Patients will receive lymphodepleting chemotherapy with fludarabine and cyclophosphamide followed by a single infusion of {product}.",
    "{antigen} is expressed on most {disease_lower} cells, which makes it an attractive target for chimeric antigen receptor T-cell therapy.",
    "Cytokine release syndrome and immune effector cell-associated neurotoxicity syndrome will be graded according to the ASTCT consensus criteria.",
    "Participants will be followed for up to 15 years for delayed adverse events, as required for gene therapy products.",
    "The expansion and persistence of CAR-T cells in peripheral blood will be measured by flow cytometry and quantitative PCR.",
    "Up to {enrollment} participants will be enrolled.",
    "A 3+3 dose-escalation design will be used, followed by a dose-expansion cohort at the recommended dose.",
    "Minimal residual disease will be assessed in bone marrow at day 28 and month 3 after infusion.",
    "T cells are collected by leukapheresis, genetically modified to express the chimeric antigen receptor, expanded and infused back into the patient.",
    "Eligible patients must have received at least two prior lines of therapy.",
    "Bridging therapy is allowed between leukapheresis and infusion at the investigator's discretion.",
    "Quality of life will be measured with patient-reported outcome questionnaires before and after treatment.",
]
DESIGNS = ["open-label, single-arm", "single-center, open-label", "multicenter, open-label, dose-escalation",
           "prospective, single-arm, exploratory", "randomized, controlled", "first-in-human"]
ZH_TITLE_TEMPLATES = [
    "{antigen}CAR-T细胞治疗复发/难治性{disease}的临床研究",
    "靶向{antigen}的嵌合抗原受体T细胞治疗{disease}的安全性和有效性研究",
    "{antigen} CAR-T 治疗难治性{disease}临床研究",
    "通用型{antigen} CAR-T细胞治疗复发/难治性{disease}的I期临床试验",
    "{antigen} CAR-T细胞序贯自体造血干细胞移植治疗{disease}的前瞻性、单臂临床研究",
]
ZH_TITLE_NO_ANTIGEN = ["CAR-T细胞治疗{disease}的临床研究", "嵌合抗原受体T细胞治疗复发/难治性{disease}的前瞻性研究"]
STATUS_RAW_CTGOV = {
    "not_yet_recruiting": "NOT_YET_RECRUITING", "recruiting": "RECRUITING",
    "enrolling_by_invitation": "ENROLLING_BY_INVITATION", "active_not_recruiting": "ACTIVE_NOT_RECRUITING",
    "suspended": "SUSPENDED", "terminated": "TERMINATED", "completed": "COMPLETED", "withdrawn": "WITHDRAWN",
    "unknown": "UNKNOWN",
}  # fmt: skip
STATUS_RAW_CHICTR = {
    "not_yet_recruiting": "尚未开始 Not yet recruiting", "recruiting": "正在进行 Recruiting",
    "enrolling_by_invitation": "正在进行 Recruiting", "active_not_recruiting": "正在进行 Recruiting",
    "suspended": "暂停或中断 Suspended", "terminated": "结束 Completed", "completed": "结束 Completed",
    "withdrawn": "撤回 Withdrawn", "unknown": "",
}  # fmt: skip
PHASE_RAW_CTGOV = {
    "early_phase1": "EARLY_PHASE1", "phase1": "PHASE1", "phase1_phase2": "PHASE1, PHASE2", "phase2": "PHASE2",
    "phase2_phase3": "PHASE2, PHASE3", "phase3": "PHASE3", "phase4": "PHASE4", "not_applicable": "NA",
}  # fmt: skip
PHASE_RAW_CHICTR = {
    "early_phase1": "0期 Phase 0", "phase1": "I期 Phase I", "phase1_phase2": "I+II期 Phase I+II",
    "phase2": "II期 Phase II", "phase2_phase3": "II+III期 Phase II+III", "phase3": "III期 Phase III",
    "phase4": "IV期 Phase IV", "not_applicable": "新技术临床研究 New Treatment Measure Clinical Study",
}  # fmt: skip


# --------------------------------------------------------------------------------------------
# Generation: one trial from (seed, index), pure
# --------------------------------------------------------------------------------------------


class Weighted:
    """A weighted choice that is fast to draw from many times."""

    __slots__ = ("values", "cumulative", "total")

    def __init__(self, items: Iterable[tuple[Any, float]]) -> None:
        items = [(v, w) for v, w in items if w > 0]
        self.values = [v for v, _ in items]
        self.cumulative = list(itertools.accumulate(w for _, w in items))
        self.total = self.cumulative[-1] if self.cumulative else 0

    def __call__(self, rng: random.Random) -> Any:
        return self.values[bisect.bisect_right(self.cumulative, rng.random() * self.total)]

    def share(self, predicate: Callable[[Any], bool]) -> float:
        previous, hit = 0.0, 0.0
        for value, cumulative in zip(self.values, self.cumulative):
            if predicate(value):
                hit += cumulative - previous
            previous = cumulative
        return hit / self.total


def _quantile_draw(quantiles: Sequence[float], u: float) -> float:
    """A value at uniform position `u` of a distribution given by its evenly spaced quantiles."""
    position = u * (len(quantiles) - 1)
    low = int(position)
    if low >= len(quantiles) - 1:
        return quantiles[-1]
    frac = position - low
    return quantiles[low] + (quantiles[low + 1] - quantiles[low]) * frac


_ANTIGEN_SETS = Weighted((tuple(s) if s is not None else None, n) for s, n in ANTIGEN_SETS)
_KEYS = set(KEY_ANTIGENS)
_ANTIGEN_RANK = {a: i for i, (a, _) in enumerate(ANTIGEN_FREQUENCIES)}
_RARE_ANTIGENS = Weighted((a, n) for a, n in ANTIGEN_FREQUENCIES if a not in _KEYS)
_ANY_ANTIGENS = Weighted(ANTIGEN_FREQUENCIES)
_CATEGORY_SETS = {k: Weighted((tuple(c), n) for c, n in v) for k, v in CATEGORY_SETS_BY_KEY.items()}
_DISEASE_COUNTS = Weighted(DISEASE_COUNTS)
_DISEASES_BY_CATEGORY = {k: Weighted(v) for k, v in DISEASES_BY_CATEGORY.items()}
_CATEGORY_OF = {d: c for c, items in DISEASES_BY_CATEGORY.items() for d, _ in items}
_DISEASES_BY_KEY_CATEGORY = {
    (key, category): Weighted((d, n) for d, n in items if _CATEGORY_OF.get(d) == category)
    for key, items in DISEASES_BY_KEY.items()
    for category in DISEASES_BY_CATEGORY
}
_PHASES = Weighted(PHASES)
_STATUSES = Weighted(STATUSES)
_CELL_SOURCES = Weighted(CELL_SOURCES)
_AGE_PAIRS = Weighted(AGE_PAIRS)
_MIN_AGES = Weighted(MIN_AGES)
_MAX_AGES = Weighted(MAX_AGES)
_COUNTRY_COUNTS = Weighted(COUNTRY_COUNTS)
_SINGLE_COUNTRIES = Weighted(SINGLE_COUNTRIES)
_MULTI_COUNTRIES = Weighted(MULTI_COUNTRIES)
_START_YEARS = Weighted(START_YEARS)
_SPONSORS_CHINA = Weighted((s, n) for s, n in SPONSORS if s in CHINESE_SPONSORS)
_SPONSORS_OTHER = Weighted((s, n) for s, n in SPONSORS if s not in CHINESE_SPONSORS)
_SPONSOR_LISTED_SHARE = sum(n for _, n in SPONSORS) / CALIBRATION_TRIALS
_CONDITION_COUNTS = Weighted(CONDITION_COUNTS)
_INTERVENTION_COUNTS = Weighted(INTERVENTION_COUNTS)
_OTHER_INTERVENTIONS = Weighted(OTHER_INTERVENTIONS)
_DOSE_LEVEL_COUNTS = Weighted(DOSE_LEVEL_COUNTS)
_DOSE_START = Weighted(zip(range(len(DOSE_LADDER)), DOSE_START_WEIGHTS))
_SITE_COUNTS = Weighted(SITE_COUNTS)


def unstated_age_share() -> float:
    """The expected share of trials stating neither age limit."""
    pairs = _AGE_PAIRS.share(lambda p: p == (None, None))
    tail = _AGE_PAIRS.share(lambda p: p is None)
    return pairs + tail * _MIN_AGES.share(lambda a: a is None) * _MAX_AGES.share(lambda a: a is None)


@dataclass
class SyntheticTrial:
    """One generated trial: the values a `NormalizedTrial` would carry."""

    index: int
    registry_id: str
    chictr_like: bool
    title: str
    title_zh: str
    brief_summary: str
    status: str
    phase: str
    study_type: str
    min_age_years: Decimal | None
    max_age_years: Decimal | None
    sex: str
    enrollment: int | None
    enrollment_type: str
    start_date: date | None
    completion_date: date | None
    registration_date: date | None
    updated_at: datetime
    sponsor: str
    countries: list[str]
    cell_source: str
    conditions: list[str]
    interventions: list[str]
    antigens: list[str]  # canonical names
    diseases: list[tuple[str, str]]  # (canonical name, category)
    dose_levels: list[dict[str, Any]]  # DoseLevel fields: arm, low, high, unit, basis, raw
    sites: list[dict[str, str]]  # institution, city, country
    raw: dict[str, Any]
    official_title: str = ""
    secondary_ids: list[str] = field(default_factory=list)
    inclusion_criteria: str = ""
    exclusion_criteria: str = ""
    source_url: str = ""

    @property
    def dose_min_cells_per_kg(self) -> float | None:
        per_kg = [d["low"] for d in self.dose_levels if d["basis"] == "per_kg"]
        return min(per_kg) if per_kg else None

    @property
    def dose_max_cells_per_kg(self) -> float | None:
        per_kg = [d["high"] for d in self.dose_levels if d["basis"] == "per_kg"]
        return max(per_kg) if per_kg else None


def _antigens(rng: random.Random) -> list[str]:
    chosen = _ANTIGEN_SETS(rng)
    if chosen is not None:
        return list(chosen)
    multi, single = TAIL_SETS_MULTI
    if rng.random() * (multi + single) < single:
        return [_RARE_ANTIGENS(rng)]
    names = {_ANY_ANTIGENS(rng), _RARE_ANTIGENS(rng)}
    while rng.random() < 0.3:
        names.add(_RARE_ANTIGENS(rng))
    return sorted(names)


def _key(antigens: list[str]) -> str:
    if not antigens:
        return ""
    best = min(antigens, key=lambda a: _ANTIGEN_RANK.get(a, 10**6))
    return best if best in _KEYS else "*"


def _diseases(rng: random.Random, antigens: list[str]) -> list[tuple[str, str]]:
    key = _key(antigens)
    categories = _CATEGORY_SETS.get(key, _CATEGORY_SETS["*"])(rng)
    if not categories:
        return []
    wanted = max(len(categories), _DISEASE_COUNTS(rng))
    chosen: dict[str, str] = {}
    for attempt in range(wanted * 4):
        if len(chosen) >= wanted:
            break
        # One disease per category first, then more from any of the trial's categories.
        category = categories[attempt] if attempt < len(categories) else categories[rng.randrange(len(categories))]
        by_key = _DISEASES_BY_KEY_CATEGORY.get((key, category))
        draw = by_key if by_key and by_key.total and rng.random() < 0.7 else _DISEASES_BY_CATEGORY[category]
        chosen.setdefault(draw(rng), category)
    return sorted(chosen.items())


def _ages(rng: random.Random) -> tuple[Decimal | None, Decimal | None]:
    pair = _AGE_PAIRS(rng)
    if pair is None:
        for _ in range(20):
            pair = (_MIN_AGES(rng), _MAX_AGES(rng))
            if pair[0] is None or pair[1] is None or pair[0] <= pair[1]:
                break
        else:
            pair = (18.0, None)
    return tuple(None if a is None else Decimal(str(a)).quantize(Decimal("0.01")) for a in pair)  # type: ignore[return-value]


def _countries(rng: random.Random, chictr_like: bool) -> list[str]:
    if chictr_like:
        return ["China"]
    n = _COUNTRY_COUNTS(rng)
    if n == 0:
        return []
    if n == 1:
        return [_SINGLE_COUNTRIES(rng)]
    names: dict[str, None] = {}
    for _ in range(n * 5):
        if len(names) >= n:
            break
        names[_MULTI_COUNTRIES(rng)] = None
    return list(names)


def _sponsor(rng: random.Random, country: str) -> str:
    if rng.random() < _SPONSOR_LISTED_SHARE:
        return (_SPONSORS_CHINA if country == "China" else _SPONSORS_OTHER)(rng)
    return _institution(rng, country or "United States")


def _institution(rng: random.Random, country: str) -> str:
    city = rng.choice(CITIES.get(country) or [country])
    kinds = INSTITUTION_KINDS.get(country, INSTITUTION_KINDS["*"])
    return f"{city} {rng.choice(kinds)}"


def _sites(rng: random.Random, countries: list[str]) -> list[dict[str, str]]:
    if not countries:
        return []
    n = max(len(countries), _SITE_COUNTS(rng))
    sites = []
    for i in range(n):
        country = countries[i] if i < len(countries) else countries[0]
        city = rng.choice(CITIES.get(country) or [""])
        kinds = INSTITUTION_KINDS.get(country, INSTITUTION_KINDS["*"])
        sites.append({"institution": f"{city or country} {rng.choice(kinds)}", "city": city, "country": country})
    return sites


def _format_cells(value: float) -> tuple[str, int]:
    exponent = len(str(int(value))) - 1
    mantissa = value / 10**exponent
    return (f"{mantissa:g}", exponent)


def _dose_levels(rng: random.Random, chictr_like: bool) -> list[dict[str, Any]]:
    u = rng.random()
    if u < PER_KG_DOSE_SHARE:
        basis = "per_kg"
    elif u < PER_KG_DOSE_SHARE + FLAT_DOSE_SHARE:
        basis = "flat"
    else:
        return []
    count = _DOSE_LEVEL_COUNTS(rng)
    start = _DOSE_START(rng)
    if basis == "flat":
        start = min(len(DOSE_LADDER) - 1, start + 2)  # flat doses are ~50-100× the per-kg ones
    levels = []
    for i in range(count):
        step = min(len(DOSE_LADDER) - 1, start + i)
        low = DOSE_LADDER[step] * (70 if basis == "flat" else 1)
        high = low
        if rng.random() < DOSE_RANGE_SHARE and step + 1 < len(DOSE_LADDER):
            high = DOSE_LADDER[step + 1] * (70 if basis == "flat" else 1)
        m_low, e_low = _format_cells(low)
        m_high, e_high = _format_cells(high)
        if basis == "per_kg":
            unit = "cells/kg"
            if high == low:
                raw = f"{m_low}E{e_low}/kgBW" if chictr_like else f"{m_low} × 10^{e_low} CAR-T cells/kg"
            else:
                raw = f"({m_low}-{m_high})×10^{e_low}/kg" if e_low == e_high else f"{m_low}×10^{e_low} to {m_high}×10^{e_high} cells/kg"
        else:
            unit = "cells"
            raw = f"{m_low} x 10^{e_low} CAR-T cells" if high == low else f"{m_low}×10^{e_low} to {m_high}×10^{e_high} CAR-T cells"
        levels.append({"arm": f"Dose level {i + 1}" if count > 1 else "", "low": float(low), "high": float(high),
                       "unit": unit, "basis": basis, "raw": raw})
    return levels


def _product(rng: random.Random, antigens: list[str], cell_source: str) -> str:
    if not antigens:
        return rng.choice(["CAR-T Cells", "Chimeric Antigen Receptor T Cells", "CAR-T Cell Therapy", "CAR-NK Cells"])
    target = "/".join(antigens[:3])
    u = rng.random()
    if u < 0.12:
        letters = "".join(rng.choice("ABCDEFGHKLMPRSTXYZ") for _ in range(rng.choice((2, 3, 3, 4))))
        return f"{letters}-{rng.randrange(10, 999)}"
    if cell_source == "allogeneic" and u < 0.5:
        return f"Universal {target} CAR-T Cells"
    return rng.choice([f"{target} CAR-T Cells", f"Anti-{target} CAR-T Cells", f"{target}-targeted CAR-T Cells",
                       f"Autologous {target} CAR T Cells", f"{target} Chimeric Antigen Receptor T Cells"])


def _acronym(rng: random.Random) -> str:
    return "".join(rng.choice("ABCDEFGHIKLMNOPRSTUVY") for _ in range(rng.choice((3, 4, 5)))) + rng.choice(
        ("", "", "-1", "-2", "01")
    )


def _title(rng: random.Random, target: int, fill: dict[str, str]) -> str:
    candidates = [t.format(**fill) for t in TITLE_TEMPLATES]
    rng.shuffle(candidates)
    title = min(candidates, key=lambda c: abs(len(c) - target))
    for suffix in TITLE_SUFFIXES:
        if len(title) + 10 > target:
            break
        suffix = suffix.format(**fill)
        if suffix.strip() not in title:
            title += suffix
    return title


def _summary(rng: random.Random, target: int, fill: dict[str, str]) -> str:
    sentences = [rng.choice(SUMMARY_OPENERS).format(**fill)]
    others = list(SUMMARY_SENTENCES)
    rng.shuffle(others)
    length = len(sentences[0])
    for sentence in others:
        if length >= target:
            break
        sentence = sentence.format(**fill)
        sentences.append(sentence)
        length += len(sentence) + 1
    text = " ".join(sentences)
    while len(text) < target - 40:  # the longest real summaries (a few thousand characters)
        text += "\n\n" + " ".join(s.format(**fill) for s in rng.sample(SUMMARY_SENTENCES, 4))
    return text


def _date_in_year(rng: random.Random, year: int) -> date:
    return date(year, 1, 1) + timedelta(days=rng.randrange(365))


def generate_trial(index: int, *, seed: int = 0) -> SyntheticTrial:
    """Trial number `index` of seed `seed`. Pure and deterministic: the same
    (seed, index) always gives the same trial, whatever else is generated."""
    rng = random.Random(f"{seed}:{index}")
    chictr_like = rng.random() < CHICTR_SHARE
    antigens = _antigens(rng)
    diseases = _diseases(rng, antigens)
    phase = _PHASES(rng)
    status = _STATUSES(rng)
    cell_source = _CELL_SOURCES(rng)
    min_age, max_age = _ages(rng)
    countries = _countries(rng, chictr_like)
    year = _START_YEARS(rng)
    start = _date_in_year(rng, year) if year else None
    enrollment = None if rng.random() * CALIBRATION_TRIALS < ENROLLMENT_MISSING else int(
        _quantile_draw(ENROLLMENT_QUANTILES, rng.random())
    )
    sponsor = _sponsor(rng, countries[0] if countries else "")
    study_type = "interventional"
    if phase == "not_applicable" and rng.random() < OBSERVATIONAL_SHARE_WITHOUT_PHASE:
        study_type = "observational"
    # The last change: between the start (or 2015) and the snapshot date.
    since = max(start or date(2015, 1, 1), date(2015, 1, 1))
    if since >= SNAPSHOT_DATE:
        since = SNAPSHOT_DATE - timedelta(days=365)
    updated = since + timedelta(days=rng.randrange((SNAPSHOT_DATE - since).days + 1))
    updated_at = datetime(updated.year, updated.month, updated.day, tzinfo=dt_timezone.utc) + timedelta(
        seconds=rng.randrange(86400)
    )

    disease_names = [name for name, _ in diseases]
    disease_text = " and ".join(disease_names[:2]) if disease_names else "Hematologic Malignancies"
    product = _product(rng, antigens, cell_source)
    rr = rng.choice(RR)
    fill = {
        "product": product,
        "antigen": antigens[0] if antigens else "CAR",
        "disease": disease_text,
        "disease_lower": disease_text.lower(),
        "rr": rr,
        "rr_lower": rr.lower(),
        "phase": PHASE_TITLE[phase],
        "acronym": _acronym(rng),
        "design": rng.choice(DESIGNS),
        "enrollment": str(enrollment or 20),
    }
    fill["article"] = "an" if fill["design"][0] in "aeiou" else "a"
    title = _title(rng, int(_quantile_draw(TITLE_LENGTH_QUANTILES, rng.random())), fill)
    title_zh = ""
    summary = ""
    if chictr_like:
        zh_disease = "血液系统恶性肿瘤"
        if diseases:
            zh_disease = DISEASE_ZH.get(diseases[0][0]) or CATEGORY_ZH[diseases[0][1]]
        if antigens:
            title_zh = rng.choice(ZH_TITLE_TEMPLATES).format(antigen="/".join(antigens[:2]), disease=zh_disease)
        else:
            title_zh = rng.choice(ZH_TITLE_NO_ANTIGEN).format(disease=zh_disease)
    elif rng.random() * CALIBRATION_TRIALS >= SUMMARY_MISSING:
        summary = _summary(rng, int(_quantile_draw(SUMMARY_LENGTH_QUANTILES, rng.random())), fill)

    n_conditions = _CONDITION_COUNTS(rng)
    conditions: list[str] = []
    for i in range(n_conditions):
        base = disease_names[i % len(disease_names)] if disease_names else "Hematologic Malignancy"
        condition = (rng.choice(CONDITION_PREFIXES) if i >= len(disease_names) or rng.random() < 0.3 else "") + base
        if condition not in conditions:
            conditions.append(condition)
    n_interventions = _INTERVENTION_COUNTS(rng)
    interventions: list[str] = [product] if n_interventions else []
    for _ in range(n_interventions * 3):
        if len(interventions) >= n_interventions:
            break
        other = _OTHER_INTERVENTIONS(rng)
        if other not in interventions:
            interventions.append(other)

    dose_levels = _dose_levels(rng, chictr_like)
    sites = _sites(rng, countries)
    completion = registration = None
    if chictr_like and start is not None:
        registration = start - timedelta(days=rng.randrange(0, 90))
        completion = start + timedelta(days=rng.randrange(365, 4 * 365))
    enrollment_type = ""
    if enrollment is not None:
        enrollment_type = "estimated" if status in ("recruiting", "not_yet_recruiting") else "actual"

    raw = _raw(
        chictr_like=chictr_like, status=status, phase=phase, min_age=min_age, max_age=max_age, sponsor=sponsor,
        countries=countries, conditions=conditions, interventions=interventions, start=start,
        enrollment=enrollment, enrollment_type=enrollment_type, study_type=study_type, completion=completion,
        registration=registration, doses=[d["raw"] for d in dose_levels],
    )  # fmt: skip
    return SyntheticTrial(
        index=index,
        registry_id=registry_id(index),
        chictr_like=chictr_like,
        title=title,
        title_zh=title_zh,
        brief_summary=summary,
        status=status,
        phase=phase,
        study_type=study_type,
        min_age_years=min_age,
        max_age_years=max_age,
        sex="all",
        enrollment=enrollment,
        enrollment_type=enrollment_type,
        start_date=start,
        completion_date=completion,
        registration_date=registration,
        updated_at=updated_at,
        sponsor=sponsor,
        countries=countries,
        cell_source=cell_source,
        conditions=conditions,
        interventions=interventions,
        antigens=antigens,
        diseases=diseases,
        dose_levels=dose_levels,
        sites=sites,
        raw=raw,
    )


def _age_raw(value: Decimal | None, chictr_like: bool) -> str:
    if value is None:
        return ""
    if value < 1:
        return f"{int(value * 12)} {'months' if chictr_like else 'Months'}"
    return f"{value.normalize():f} {'years' if chictr_like else 'Years'}"


def _raw(*, chictr_like: bool, status: str, phase: str, min_age, max_age, sponsor: str, countries, conditions,
         interventions, start, enrollment, enrollment_type: str, study_type: str, completion, registration,
         doses) -> dict[str, Any]:
    """The registry's own strings, as the parsers record them."""

    def when(d: date | None) -> str:
        return "" if d is None else (f"{d.isoformat()} 00:00:00" if chictr_like else d.isoformat())

    return {
        "sex": "Both" if chictr_like else "",
        "doses": doses,
        "phase": (PHASE_RAW_CHICTR if chictr_like else PHASE_RAW_CTGOV)[phase],
        "status": (STATUS_RAW_CHICTR if chictr_like else STATUS_RAW_CTGOV)[status],
        "max_age": _age_raw(max_age, chictr_like),
        "min_age": _age_raw(min_age, chictr_like),
        "sponsor": sponsor,
        "age_text": "",
        "countries": ["中国 China"] if chictr_like else list(countries),
        "conditions": list(conditions),
        "enrollment": "" if enrollment is None else str(enrollment),
        "start_date": when(start),
        "study_type": ("Interventional study" if study_type == "interventional" else "Observational study")
        if chictr_like
        else "",
        "interventions": list(interventions),
        "completion_date": when(completion),
        "enrollment_type": enrollment_type.upper() if not chictr_like else "",
        "registration_date": when(registration),
    }


# --------------------------------------------------------------------------------------------
# Writing: COPY in batches; the search vector computed by one set-based statement per batch
# --------------------------------------------------------------------------------------------

# The importer's search vector (`ingest.importer._set_denormalized`), as Django compiles it
# (`search_vector_expression()`; a test checks the two stay the same), over a row source `{t}`.
SEARCH_VECTOR_SQL = (
    "((setweight(to_tsvector('english'::regconfig, COALESCE({t}.\"title\", '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, COALESCE({t}.\"search_document\", '')), 'B')) || "
    "to_tsvector('simple'::regconfig, COALESCE(catalogue_cjk_tokens({t}.\"search_document\"), '')))"
)
STAGE_TABLE = "synthetic_trial_stage"
# Adding at least this many trials, and at least as many as the table holds, drops the
# trial table's secondary indexes for the load and rebuilds them at the end ("auto"):
# building a trigram GIN index once costs a fraction of growing it row by row.
REBUILD_MIN_TRIALS = 20_000
INDEX_MODES = ("auto", "rebuild", "keep")


@dataclass
class SeedResult:
    created: int
    deleted: int
    first_index: int
    seconds: float
    phases: dict[str, float]
    rebuilt_indexes: bool = False

    @property
    def trials_per_s(self) -> float:
        return self.created / self.seconds if self.seconds else 0.0


def search_vector_expression():
    """The importer's search vector (`_set_denormalized`), over the stored columns."""
    from django.contrib.postgres.search import SearchVector

    from django.db.models import F, Func

    return (
        SearchVector("title", weight="A", config="english")
        + SearchVector("search_document", weight="B", config="english")
        + SearchVector(Func(F("search_document"), function="catalogue_cjk_tokens"), config="simple")
    )


def clear_synthetic(*, vacuum: bool = True) -> int:
    """Delete every synthetic trial and what hangs off it; real trials are untouched.

    Set-based: one DELETE per dependent table (Django's collector would load
    every trial into memory first), then one for the trials. Then VACUUM (outside
    a transaction), so a following load reuses the space instead of doubling the table.
    """
    from django.db import connection

    deleted = _delete_synthetic()
    if vacuum and deleted and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {', '.join(_tables())}")
    return deleted


def _tables() -> list[str]:
    """The tables a synthetic load writes."""
    from catalogue.models import DoseLevel, Site, Trial

    return [Trial._meta.db_table, Trial.antigens.through._meta.db_table, Trial.diseases.through._meta.db_table,
            DoseLevel._meta.db_table, Site._meta.db_table]  # fmt: skip


def _delete_synthetic() -> int:
    from django.db import connection, models, transaction

    from catalogue.models import Trial

    table = Trial._meta.db_table
    doomed = f"(SELECT id FROM {table} WHERE registry = %s)"
    with transaction.atomic(), connection.cursor() as cursor:
        for relation in Trial._meta.related_objects:
            related, column = relation.related_model._meta.db_table, relation.field.column
            if relation.on_delete is models.CASCADE:
                cursor.execute(f"DELETE FROM {related} WHERE {column} IN {doomed}", [SYNTHETIC_REGISTRY])
            elif relation.on_delete is models.SET_NULL:
                cursor.execute(f"UPDATE {related} SET {column} = NULL WHERE {column} IN {doomed}", [SYNTHETIC_REGISTRY])
            # PROTECT / DO_NOTHING: the final DELETE lets the database refuse
        for m2m in Trial._meta.many_to_many:
            through = m2m.remote_field.through._meta
            column = through.get_field(m2m.m2m_field_name()).column
            cursor.execute(f"DELETE FROM {through.db_table} WHERE {column} IN {doomed}", [SYNTHETIC_REGISTRY])
        cursor.execute(f"DELETE FROM {table} WHERE registry = %s", [SYNTHETIC_REGISTRY])
        return cursor.rowcount


def _next_index() -> int:
    """The first free synthetic index (after the highest SYN id in the database)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT max(substring(registry_id FROM %s)::bigint) FROM catalogue_trial"
            " WHERE registry = %s AND registry_id ~ %s",
            [f"^{ID_PREFIX}(\\d+)$", SYNTHETIC_REGISTRY, f"^{ID_PREFIX}\\d+$"],
        )
        (highest,) = cursor.fetchone()
    return (highest or 0) + 1


def trial_values(t: SyntheticTrial, vocab: Any, *, now: datetime) -> dict[str, Any]:
    """Every Trial column of a synthetic trial (by attname) except `id` and
    `search_vector`, filled as the importer fills them, plus the ids of its
    antigens and diseases under "_antigen_ids" / "_disease_ids"."""
    from catalogue.models import Trial
    from catalogue.trials import SCALAR_FIELDS, search_document, to_json

    antigens = [vocab.antigen(name) for name in t.antigens]
    diseases = [vocab.disease(name, category) for name, category in t.diseases]
    values: dict[str, Any] = {f: getattr(t, f, []) for f in SCALAR_FIELDS}
    values.update(
        registry=SYNTHETIC_REGISTRY,
        registry_id=t.registry_id,
        updated_at=t.updated_at,
        created_at=now,
        ingested_at=now,
        source_format=SOURCE_FORMAT,
        parser_version=PARSER_VERSION,
        source_document_id=None,
        merged_into_id=None,
        raw=t.raw,
        curated_fields=[],
        curation_conflicts={},
        # as importer._set_denormalized
        antigen_names=sorted({a.name for a in antigens}),
        disease_names=sorted({d.name for d in diseases}),
        disease_categories=sorted({d.category for d in diseases}),
    )
    # The importer's own function, on an unsaved Trial as the importer has it at that point.
    unsaved = Trial(**{f: values[f] for f in (*SCALAR_FIELDS, "registry", "registry_id")})
    values["search_document"] = search_document(unsaved, antigens, diseases)
    # as importer.snapshot(): what the registry said, JSON-safe
    parsed = {f: to_json(values[f]) for f in SCALAR_FIELDS}
    parsed["antigens"] = list(t.antigens)
    parsed["diseases"] = [name for name, _ in t.diseases]
    parsed["dose_levels"] = [dict(d) for d in t.dose_levels]
    parsed["sites"] = [dict(s) for s in t.sites]
    parsed["source_format"] = SOURCE_FORMAT
    parsed["raw"] = t.raw
    values["parsed"] = parsed
    values["_antigen_ids"] = [a.pk for a in antigens]
    values["_disease_ids"] = [d.pk for d in diseases]
    return values


def _droppable_indexes(table: str) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the table's indexes that back no constraint."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, pg_get_indexdef(i.indexrelid)
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = %s::regclass AND NOT i.indisprimary AND NOT i.indisunique
              AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
            ORDER BY pg_relation_size(i.indexrelid) DESC, c.relname
            """,
            [table],
        )
        return cursor.fetchall()


def _warm_vocabulary(vocab: Any) -> None:
    """Load (or create) every term the generator can draw, before the load starts:
    the generating thread then never needs the database."""
    for names, _ in ANTIGEN_SETS:
        for name in names or ():
            vocab.antigen(name)
    for name, _ in ANTIGEN_FREQUENCIES:
        vocab.antigen(name)
    for category, items in DISEASES_BY_CATEGORY.items():
        for name, _ in items:
            vocab.disease(name, category)


@dataclass
class _Batch:
    trials: list[tuple]  # COPY rows for the stage table
    antigens: list[tuple]
    diseases: list[tuple]
    dose_levels: list[tuple]
    sites: list[tuple]


def _make_batch(pks: Sequence[int], indexes: Sequence[int], columns: list, *, seed: int, vocab: Any,
                now: datetime) -> _Batch:  # fmt: skip
    """Generate one batch as COPY rows. Pure Python, no database: runs in the generating thread."""
    from django.db.models import JSONField

    is_json = [isinstance(f, JSONField) for f in columns]
    batch = _Batch([], [], [], [], [])
    for pk, index in zip(pks, indexes):
        t = generate_trial(index, seed=seed)
        values = trial_values(t, vocab, now=now)
        values["id"] = pk
        row = []
        for f, json_column in zip(columns, is_json):
            value = values[f.attname] if f.attname in values else f.get_default()
            # JSON as text: the COPY's text format hands it to jsonb's input function.
            row.append(json.dumps(value, ensure_ascii=False) if json_column else value)
        batch.trials.append(tuple(row))
        batch.antigens.extend((pk, a) for a in values["_antigen_ids"])
        batch.diseases.extend((pk, d) for d in values["_disease_ids"])
        batch.dose_levels.extend(
            (pk, i, d["arm"][:500], d["low"], d["high"], d["unit"], d["basis"], d["raw"])
            for i, d in enumerate(t.dose_levels)
        )
        batch.sites.extend(
            (pk, i, s["institution"][:500], s["city"][:200], s["country"][:100]) for i, s in enumerate(t.sites)
        )
    return batch


def _generated_batches(pks: list[int], first: int, batch_size: int, columns: list, *, seed: int, vocab: Any,
                       now: datetime) -> Iterable[_Batch]:  # fmt: skip
    """The batches, generated one ahead in a thread while the caller writes the previous one."""
    work = [
        (pks[start : start + batch_size], range(first + start, first + min(start + batch_size, len(pks))))
        for start in range(0, len(pks), batch_size)
    ]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="synthetic") as pool:
        pending = None
        for batch_pks, indexes in work:
            future = pool.submit(_make_batch, batch_pks, indexes, columns, seed=seed, vocab=vocab, now=now)
            if pending is not None:
                yield pending.result()
            pending = future
        if pending is not None:
            yield pending.result()


def seed_synthetic(
    trials: int,
    *,
    seed: int = 0,
    clear: bool = False,
    batch_size: int = 5000,
    progress: Callable[[str], None] | None = None,
    vacuum: bool = True,
    index_mode: str = "auto",
) -> SeedResult:
    """Insert `trials` synthetic trials (after the highest existing SYN id, or from
    SYN0000001 with `clear`), then refresh the planner statistics.

    Each batch is COPYed into a temporary stage table and moved into the trial
    table by one INSERT … SELECT that computes `search_vector` with the importer's
    expression (set-based, and each row is written once); the M2M rows, dose
    levels and sites follow by COPY. The next batch is generated in a thread meanwhile.

    `index_mode`: "keep" maintains every index row by row (one transaction per
    batch); "rebuild" drops the trial table's secondary indexes and recreates them
    from their own definitions at the end, all in one transaction (the table is
    locked meanwhile; a failure rolls everything back, indexes included); "auto"
    rebuilds for large loads only (see REBUILD_MIN_TRIALS).
    """
    from django.db import connection, transaction

    from catalogue.models import DoseLevel, Site, Trial
    from ingest.importer import Vocabularies

    if index_mode not in INDEX_MODES:
        raise ValueError(f"index_mode must be one of {INDEX_MODES}")
    say = progress or (lambda message: None)
    phases: dict[str, float] = {}
    started = time.perf_counter()
    deleted = 0
    table = Trial._meta.db_table
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    if clear:
        t0 = time.perf_counter()
        deleted = clear_synthetic()
        phases["clear"] = time.perf_counter() - t0
        say(f"deleted {deleted} synthetic trials")
    rebuild = index_mode == "rebuild"
    if index_mode == "auto" and trials >= REBUILD_MIN_TRIALS:
        rebuild = trials >= Trial.objects.count()
    first = _next_index()
    vocab = Vocabularies()  # inserts missing built-in terms; unknown ones are created as the importer does
    _warm_vocabulary(vocab)
    now = datetime.now(dt_timezone.utc)
    columns = [f for f in Trial._meta.concrete_fields if f.attname != "search_vector"]
    column_sql = ", ".join(quote(f.column) for f in columns)
    select_sql = ", ".join(f"s.{quote(f.column)}" for f in columns)

    with transaction.atomic() if rebuild else contextlib.nullcontext(), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {STAGE_TABLE}")
        # INCLUDING COMPRESSION: values are compressed once, in the stage table, and move into the
        # trial table as they are, so they must already use its columns' method (lz4, migration 0004).
        cursor.execute(f"CREATE TEMPORARY TABLE {STAGE_TABLE} (LIKE {table} INCLUDING DEFAULTS INCLUDING COMPRESSION)")
        indexes: list[tuple[str, str]] = []
        if rebuild:
            indexes = _droppable_indexes(table)
            for name, _ in indexes:
                cursor.execute(f"DROP INDEX {quote(name)}")
            say(f"dropped {len(indexes)} indexes for the load")
        t0 = time.perf_counter()
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, trials]
        )
        pks = [r[0] for r in cursor.fetchall()]
        created = 0
        for batch in _generated_batches(pks, first, batch_size, columns, seed=seed, vocab=vocab, now=now):
            with transaction.atomic():
                _copy(cursor, STAGE_TABLE, [quote(f.column) for f in columns], batch.trials)
                cursor.execute(
                    f"INSERT INTO {table} ({column_sql}, {quote('search_vector')}) "
                    f"SELECT {select_sql}, {SEARCH_VECTOR_SQL.format(t='s')} FROM {STAGE_TABLE} s"
                )
                cursor.execute(f"TRUNCATE {STAGE_TABLE}")
                _copy(cursor, Trial.antigens.through._meta.db_table, ("trial_id", "antigen_id"), batch.antigens)
                _copy(cursor, Trial.diseases.through._meta.db_table, ("trial_id", "disease_id"), batch.diseases)
                _copy(cursor, DoseLevel._meta.db_table,
                      ("trial_id", "position", "arm", "low", "high", "unit", "basis", "raw"), batch.dose_levels)  # fmt: skip
                _copy(cursor, Site._meta.db_table, ("trial_id", "position", "institution", "city", "country"),
                      batch.sites)  # fmt: skip
            created += len(batch.trials)
            say(f"copied {created}/{trials} trials")
        cursor.execute(f"DROP TABLE IF EXISTS {STAGE_TABLE}")
        phases["generate_copy"] = time.perf_counter() - t0

        if rebuild:
            t0 = time.perf_counter()
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred FK checks, before CREATE INDEX
            cursor.execute("SET LOCAL maintenance_work_mem TO '512MB'")
            for name, definition in indexes:
                cursor.execute(definition)
                say(f"rebuilt {name}")
            phases["rebuild_indexes"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    tables = _tables()
    with connection.cursor() as cursor:
        if vacuum and not connection.in_atomic_block:
            # Sets the visibility map (index-only scans) and merges GIN pending lists,
            # so the first searches don't pay for that.
            cursor.execute(f"VACUUM (ANALYZE) {', '.join(tables)}")
        else:
            cursor.execute(f"ANALYZE {', '.join(tables)}")
    phases["vacuum_analyze"] = time.perf_counter() - t0
    say("statistics refreshed")
    return SeedResult(created=created, deleted=deleted, first_index=first,
                      seconds=time.perf_counter() - started, phases=phases, rebuilt_indexes=rebuild)  # fmt: skip


def _copy(cursor, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


# --------------------------------------------------------------------------------------------
# calibrate(): the measurement, to redo on another snapshot
# --------------------------------------------------------------------------------------------

CALIBRATION_SQL = """
    SELECT antigen_names, disease_names, disease_categories, countries, phase, status, cell_source,
           min_age_years, max_age_years, EXTRACT(YEAR FROM start_date)::int, enrollment,
           length(title), length(brief_summary), sponsor, cardinality(conditions), cardinality(interventions),
           dose_min_cells_per_kg
    FROM catalogue_trial WHERE registry <> %s AND merged_into_id IS NULL
"""


def _top(counter: Counter, n: int | None = None, *, min_count: int = 1) -> list[tuple[Any, int]]:
    items = sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0])))
    items = [(k, v) for k, v in items if v >= min_count]
    return items[:n] if n else items


def _quantiles(values: list[float], steps: int = 20) -> list[float]:
    """The 0, 1/steps, …, 1 quantiles (nearest rank)."""
    values = sorted(values)
    if not values:
        return []
    return [values[min(len(values) - 1, round(i * (len(values) - 1) / steps))] for i in range(steps + 1)]


def measure() -> dict[str, Any]:
    """The distributions of the real (non-synthetic) trials in the database."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(CALIBRATION_SQL, [SYNTHETIC_REGISTRY])
        rows = cursor.fetchall()
        cursor.execute("SELECT name, category FROM catalogue_disease")
        categories = dict(cursor.fetchall())
    if not rows:
        raise ValueError("no real trials in the database to calibrate on")

    antigen_freq: Counter = Counter(a for r in rows for a in r[0])
    keys = [a for a, _ in _top(antigen_freq, KEY_ANTIGEN_COUNT)]

    def key_of(names: Sequence[str]) -> str:
        if not names:
            return ""
        best = max(names, key=lambda a: (antigen_freq[a], a))
        return best if best in keys else "*"

    sets: Counter = Counter(tuple(r[0]) for r in rows)
    cat_sets: dict[str, Counter] = {}
    diseases_by_key: dict[str, Counter] = {}
    diseases_by_category: dict[str, Counter] = {}
    disease_count: Counter = Counter()
    pairs: Counter = Counter()
    min_ages: Counter = Counter()
    max_ages: Counter = Counter()
    country_count: Counter = Counter()
    single_countries: Counter = Counter()
    multi_countries: Counter = Counter()
    years: Counter = Counter()
    enrollments = []
    sponsors: Counter = Counter()
    for (ants, dis, cats, countries, phase, status, cell, mn, mx, year, enrol, tl, sl, sponsor, nc, ni, dose) in rows:
        key = key_of(ants)
        cat_sets.setdefault(key, Counter())[tuple(cats)] += 1
        for d in dis:
            diseases_by_key.setdefault(key, Counter())[d] += 1
            diseases_by_category.setdefault(categories.get(d, "other"), Counter())[d] += 1
        if dis:
            disease_count[len(dis)] += 1
        age = (None if mn is None else float(mn), None if mx is None else float(mx))
        pairs[age] += 1
        min_ages[age[0]] += 1
        max_ages[age[1]] += 1
        country_count[len(countries)] += 1
        if len(countries) == 1:
            single_countries[countries[0]] += 1
        elif countries:
            multi_countries.update(countries)
        years[year] += 1
        if enrol is not None:
            enrollments.append(enrol)
        sponsors[sponsor] += 1

    tail_sets = sum(n for s, n in sets.items() if n < ANTIGEN_SET_MIN_COUNT)
    top_pairs = _top(pairs, min_count=AGE_PAIR_MIN_COUNT)
    return {
        "CALIBRATION_TRIALS": len(rows),
        "ANTIGEN_SETS": [(list(s), n) for s, n in _top(sets, min_count=ANTIGEN_SET_MIN_COUNT)] + [(None, tail_sets)],
        "ANTIGEN_FREQUENCIES": _top(antigen_freq, 80),
        "KEY_ANTIGENS": keys,
        "CATEGORY_SETS_BY_KEY": {k: [(list(c), n) for c, n in _top(v)] for k, v in sorted(cat_sets.items())},
        "DISEASES_BY_KEY": {k: _top(v, 15) for k, v in sorted(diseases_by_key.items())},
        "DISEASES_BY_CATEGORY": {k: _top(v, 40) for k, v in sorted(diseases_by_category.items())},
        "DISEASE_COUNTS": _top(disease_count),
        "PHASES": _top(Counter(r[4] for r in rows)),
        "STATUSES": _top(Counter(r[5] for r in rows)),
        "CELL_SOURCES": _top(Counter(r[6] for r in rows)),
        "AGE_PAIRS": top_pairs + [(None, len(rows) - sum(n for _, n in top_pairs))],
        "MIN_AGES": _top(min_ages, 30),
        "MAX_AGES": _top(max_ages, 30),
        "COUNTRY_COUNTS": _top(country_count),
        "SINGLE_COUNTRIES": _top(single_countries, 30),
        "MULTI_COUNTRIES": _top(multi_countries, 40),
        "START_YEARS": sorted(years.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)),
        "ENROLLMENT_QUANTILES": _quantiles(enrollments),
        "ENROLLMENT_MISSING": sum(1 for r in rows if r[10] is None),
        "TITLE_LENGTH_QUANTILES": _quantiles([r[11] for r in rows]),
        "SUMMARY_LENGTH_QUANTILES": _quantiles([r[12] for r in rows if r[12]]),
        "SUMMARY_MISSING": sum(1 for r in rows if not r[12]),
        "SPONSORS": _top(sponsors, 40),
        "CONDITION_COUNTS": _top(Counter(r[14] for r in rows)),
        "INTERVENTION_COUNTS": _top(Counter(r[15] for r in rows)),
        "PER_KG_DOSE_IN_BULK": sum(1 for r in rows if r[16] is not None),
    }


def calibrate(stdout: TextIO | None = None) -> dict[str, Any]:
    """Measure the real trials in the database and print the constants of this module."""
    import pprint

    stdout = stdout or sys.stdout
    measured = measure()
    for name, value in measured.items():
        stdout.write(f"{name} = {pprint.pformat(value, width=110, compact=True, sort_dicts=False)}\n")
    return measured

