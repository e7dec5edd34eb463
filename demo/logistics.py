"""Demo express parcels (the State Post Bureau's part): seven carriers, their daily
reports for every mainland province over the 2020 festival and 30 days on each side,
the coverage of townships and villages, and the bureau's login.

The figures are plausible, not real: about 190 million parcels collected a day before
the festival (2020 handled some 83 billion in the year), a lift of a fifth over the
festival with peaks on its first day and the May Day holiday, carriers' shares close
to 2020's market, provinces' shares of collection (Guangdong and Zhejiang first) and
of delivery, and a rural share of about 13-15%. One carrier missed one baseline day,
so the dashboard shows a gap. Drawn from a fixed seed; created once, with the 2020
festival, by bulk inserts.
"""

import random
from datetime import timedelta

from logistics.models import Carrier, Coverage, ParcelReport, ReportChannel
from logistics.periods import festival_period, reporting_period
from merchants.uscc import make_uscc

SEED = "festival-desk-2020-parcels"

# code, name, English name, first 17 characters of a (made-up) USCC, share of parcels
CARRIERS = (
    ("ZTO", "中通快递股份有限公司", "ZTO Express", "91310000MA1FL0A01", 0.22),
    ("YD", "韵达控股股份有限公司", "Yunda Express", "91310000MA1FL0B02", 0.19),
    ("YTO", "圆通速递股份有限公司", "YTO Express", "91310000MA1FL0C03", 0.16),
    ("STO", "申通快递有限公司", "STO Express", "91310000MA1FL0D04", 0.12),
    ("SF", "顺丰速运有限公司", "SF Express", "91440300MA5FL0E05", 0.12),
    ("EMS", "中国邮政速递物流股份有限公司", "China Post EMS", "91110000MA01L0F06", 0.11),
    ("JD", "北京京邦达贸易有限公司", "JD Logistics", "91110302MA01L0G07", 0.08),
)
GAP = ("JD", 9)  # JD's report for the 9th day before the festival never came

# code: share of parcels collected (%), of parcels delivered (%), townships, villages, region
PROVINCES = {
    "110000": (2.8, 4.0, 343, 3900, "east"),
    "120000": (1.2, 1.6, 247, 3500, "east"),
    "130000": (3.6, 5.0, 2254, 48000, "central"),
    "140000": (0.6, 2.0, 1398, 26000, "central"),
    "150000": (0.3, 1.4, 1025, 11000, "west"),
    "210000": (1.2, 2.8, 1355, 11600, "central"),
    "220000": (0.5, 1.5, 948, 9300, "central"),
    "230000": (0.5, 2.0, 1287, 8900, "central"),
    "310000": (4.2, 4.0, 215, 1600, "east"),
    "320000": (8.0, 8.0, 1257, 14000, "east"),
    "330000": (19.5, 7.0, 1365, 24000, "east"),
    "340000": (2.3, 4.0, 1500, 15000, "central"),
    "350000": (4.5, 3.5, 1107, 14000, "east"),
    "360000": (1.5, 2.8, 1579, 17000, "central"),
    "370000": (4.8, 7.0, 1825, 69000, "east"),
    "410000": (3.4, 6.0, 2458, 46000, "central"),
    "420000": (2.0, 4.0, 1254, 23000, "central"),
    "430000": (1.8, 4.0, 1943, 24000, "central"),
    "440000": (24.5, 12.0, 1612, 20000, "east"),
    "450000": (1.0, 2.7, 1251, 14000, "west"),
    "460000": (0.2, 0.8, 218, 2600, "east"),
    "500000": (1.1, 2.4, 1031, 8000, "west"),
    "510000": (2.4, 5.5, 3101, 45000, "west"),
    "520000": (0.5, 2.0, 1509, 14000, "west"),
    "530000": (0.8, 2.3, 1417, 13000, "west"),
    "540000": (0.03, 0.2, 697, 5300, "west"),
    "610000": (1.1, 2.5, 1313, 17000, "west"),
    "620000": (0.3, 1.3, 1356, 16000, "west"),
    "630000": (0.05, 0.3, 403, 4100, "west"),
    "640000": (0.1, 0.4, 243, 2200, "west"),
    "650000": (0.3, 1.5, 1130, 8900, "west"),
}
# Share of parcels collected / delivered in rural areas, and of townships / villages served.
RURAL = {"east": (0.08, 0.12), "central": (0.14, 0.22), "west": (0.11, 0.2)}
SERVED = {
    "east": ((0.99, 1.0), (0.75, 0.95)),
    "central": ((0.95, 0.99), (0.5, 0.7)),
    "west": ((0.85, 0.96), (0.25, 0.5)),
}
BASELINE_PER_DAY = 190_000_000


def ensure_carriers() -> list[Carrier]:
    carriers = []
    for code, name, name_en, first17, _share in CARRIERS:
        carrier, _created = Carrier.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "uscc": make_uscc(first17)}
        )
        carriers.append(carrier)
    return carriers


def ensure_bureau_login(builder) -> None:
    from festival.models import Organiser, TeamMembership, TeamRole

    bureau = builder.ensure_user("bureau", first_name="邮政局", is_staff=True)
    # The bureau's staff hold the Post bureau role in the State Post Bureau's team (issue 14).
    post_bureau = Organiser.objects.filter(name="国家邮政局").first()
    if post_bureau is not None:
        TeamMembership.objects.update_or_create(
            user=bureau, organiser=post_bureau, defaults={"role": TeamRole.POST_BUREAU}
        )
    builder.result.logins.append(("bureau", "State Post Bureau staff: /admin/logistics/parcelreport/dashboard/"))


def day_factor(day, festival_days, first_day):
    """The national volume of a day relative to the early baseline: slow growth, the festival's lift."""
    offset = (day - first_day).days
    growth = 1 + 0.003 * offset  # spring 2020: volumes recovering week by week
    if day in festival_days:
        lift = 1.35 if day == festival_days.first else 1.28 if (day.month, day.day) in ((5, 1), (5, 2), (5, 3)) else 1.2
    elif day > festival_days.last:
        lift = 1 + 0.1 * max(0.0, 1 - (day - festival_days.last).days / 10)  # the late deliveries ebb away
    else:
        lift = 1.0
    weekend = 0.94 if day.weekday() == 6 else 1.0
    return growth * lift * weekend


def add_parcel_reports(festival, carriers) -> int:
    """Every carrier's report for every mainland province and day of the festival's reporting period."""
    rng = random.Random(SEED)
    own, period = festival_period(festival), reporting_period(festival)
    shares = {code: share for code, *_rest, share in CARRIERS}
    collect_total = sum(v[0] for v in PROVINCES.values())
    deliver_total = sum(v[1] for v in PROVINCES.values())
    gap_carrier, gap_days_before = GAP
    gap_day = own.first - timedelta(days=gap_days_before)
    reported = festival.end_of_day(own.first)  # replaced per row below
    reports = []
    for day in period.days:
        national = BASELINE_PER_DAY * day_factor(day, own, period.first)
        rural_boost = 1.12 if day in own else 1.0  # the festival pushed farm produce online
        reported = festival.end_of_day(day) + timedelta(hours=3)
        for carrier in carriers:
            if (carrier.code, day) == (gap_carrier, gap_day):
                continue
            carrier_volume = national * shares[carrier.code]
            for code, (collect, deliver, _townships, _villages, region) in PROVINCES.items():
                rural_collect, rural_deliver = RURAL[region]
                collected = int(carrier_volume * collect / collect_total * rng.uniform(0.94, 1.06))
                delivered = int(carrier_volume * deliver / deliver_total * rng.uniform(0.94, 1.06))
                reports.append(
                    ParcelReport(
                        carrier=carrier,
                        date=day,
                        province_id=code,
                        collected=collected,
                        delivered=delivered,
                        rural_collected=int(collected * min(1.0, rural_collect * rural_boost * rng.uniform(0.9, 1.1))),
                        rural_delivered=int(delivered * min(1.0, rural_deliver * rural_boost * rng.uniform(0.9, 1.1))),
                        channel=ReportChannel.DEMO,
                        reporter="demo",
                        reported_at=reported,
                    )
                )
    ParcelReport.objects.bulk_create(reports, batch_size=2500)
    return len(reports)


def add_coverage(festival) -> int:
    """Each province's coverage at the end of 2019 and as the festival opened."""
    rng = random.Random(f"{SEED}-coverage")
    own = festival_period(festival)
    rows = []
    for code, (_collect, _deliver, townships, villages, region) in PROVINCES.items():
        (t_low, t_high), (v_low, v_high) = SERVED[region]
        township_share, village_share = rng.uniform(t_low, t_high), rng.uniform(v_low, v_high)
        for day, progress in ((own.first.replace(month=1, day=1) - timedelta(days=1), 0.93), (own.first, 1.0)):
            rows.append(
                Coverage(
                    province_id=code,
                    date=day,
                    townships=townships,
                    townships_served=min(townships, round(townships * township_share * progress)),
                    villages=villages,
                    villages_served=min(villages, round(villages * village_share * progress)),
                )
            )
    Coverage.objects.bulk_create(rows)
    return len(rows)
