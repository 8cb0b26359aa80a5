"""A minimal CGMES 2.4.15 model (EQ, SSH, TP) of an LV network, written for the tests: a 10/0.4 kV
500 kVA transformer, two cables, two loads (values in :data:`LINES`, :data:`LOADS`)."""

import re

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF xmlns:cim="http://iec.ch/TC57/2013/CIM-schema-cim16#" xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:md="http://iec.ch/TC57/61970-552/ModelDescription/1#" xmlns:entsoe="http://entsoe.eu/CIM/SchemaExtension/3/1#">
<md:FullModel rdf:about="urn:uuid:{uuid}">
<md:Model.scenarioTime>2030-01-01T00:00:00Z</md:Model.scenarioTime>
<md:Model.created>2030-01-01T00:00:00Z</md:Model.created>
<md:Model.profile>{profile}</md:Model.profile>
</md:FullModel>
"""
TAIL = "</rdf:RDF>\n"


def obj(cls, rid, **fields):
    lines = [f'<cim:{cls} rdf:ID="_{rid}">']
    for k, v in fields.items():
        k = k.replace("__", ".")
        if isinstance(v, str) and v.startswith("#"):
            lines.append(f'<cim:{k} rdf:resource="#_{v[1:]}"/>')
        elif isinstance(v, str) and v.startswith("enum:"):
            lines.append(
                f'<cim:{k} rdf:resource="http://iec.ch/TC57/2013/CIM-schema-cim16#{v[5:]}"/>'
            )
        else:
            lines.append(f"<cim:{k}>{str(v).lower() if isinstance(v, bool) else v}</cim:{k}>")
    lines.append(f"</cim:{cls}>")
    return "\n".join(lines)


def about(cls, rid, **fields):
    return obj(cls, rid, **fields).replace(f'rdf:ID="_{rid}"', f'rdf:about="#_{rid}"')


S_MVA, U_KV, UK, UKR = 0.5, 10.0, 0.04, 0.01
LINES = {
    "L1": ("CN_LV", "CN_1", 0.25, 0.125, 0.07, 0.335),
    "L2": ("CN_1", "CN_2", 0.18, 0.32, 0.075, 0.185),
}
"""line id -> (from node, to node, length [km], r [ohm/km], x [ohm/km], max current [kA])"""
LOADS = {"EC1": ("CN_1", 0.012, 0.003), "EC2": ("CN_2", 0.015, 0.004)}
"""load id -> (node, p [MW], q [Mvar])"""
SLACK_KV = 10.3


def write_cgmes(path):
    """Write the model as one CGMES zip at ``path``."""
    eq = []
    eq.append(
        obj("BaseVoltage", "BV10", IdentifiedObject__name="10 kV", BaseVoltage__nominalVoltage=10.0)
    )
    eq.append(
        obj("BaseVoltage", "BV04", IdentifiedObject__name="0.4 kV", BaseVoltage__nominalVoltage=0.4)
    )
    eq.append(obj("GeographicalRegion", "GR", IdentifiedObject__name="SE"))
    eq.append(
        obj(
            "SubGeographicalRegion",
            "SGR",
            IdentifiedObject__name="SE3",
            SubGeographicalRegion__Region="#GR",
        )
    )
    eq.append(obj("Substation", "S1", IdentifiedObject__name="NS-1", Substation__Region="#SGR"))
    eq.append(
        obj(
            "VoltageLevel",
            "VL10",
            IdentifiedObject__name="NS-1 10",
            VoltageLevel__BaseVoltage="#BV10",
            VoltageLevel__Substation="#S1",
        )
    )
    eq.append(
        obj(
            "VoltageLevel",
            "VL04",
            IdentifiedObject__name="NS-1 0.4",
            VoltageLevel__BaseVoltage="#BV04",
            VoltageLevel__Substation="#S1",
        )
    )
    for cn, vl in (("CN_MV", "VL10"), ("CN_LV", "VL04"), ("CN_1", "VL04"), ("CN_2", "VL04")):
        eq.append(
            obj(
                "ConnectivityNode",
                cn,
                IdentifiedObject__name=cn,
                ConnectivityNode__ConnectivityNodeContainer=f"#{vl}",
            )
        )

    def term(tid, eqp, cn, seq=1):
        eq.append(
            obj(
                "Terminal",
                tid,
                IdentifiedObject__name=tid,
                Terminal__ConductingEquipment=f"#{eqp}",
                Terminal__ConnectivityNode=f"#{cn}",
                ACDCTerminal__sequenceNumber=seq,
            )
        )

    eq.append(
        obj(
            "RegulatingControl",
            "RC",
            IdentifiedObject__name="RC",
            RegulatingControl__Terminal="#T_ENI",
            RegulatingControl__mode="enum:RegulatingControlModeKind.voltage",
        )
    )
    eq.append(
        obj(
            "ExternalNetworkInjection",
            "ENI",
            IdentifiedObject__name="grid",
            Equipment__EquipmentContainer="#VL10",
            RegulatingCondEq__RegulatingControl="#RC",
            ExternalNetworkInjection__governorSCD=0,
            ExternalNetworkInjection__maxP=100,
            ExternalNetworkInjection__minP=-100,
            ExternalNetworkInjection__maxQ=100,
            ExternalNetworkInjection__minQ=-100,
            ExternalNetworkInjection__maxInitialSymShCCurrent=5.7735,
            ExternalNetworkInjection__minInitialSymShCCurrent=5.7735,
            ExternalNetworkInjection__maxR0ToX0Ratio=0.1,
            ExternalNetworkInjection__maxR1ToX1Ratio=0.1,
            ExternalNetworkInjection__maxZ0ToZ1Ratio=1,
        )
    )
    term("T_ENI", "ENI", "CN_MV")
    eq.append(
        obj(
            "PowerTransformer",
            "PT",
            IdentifiedObject__name="NS-1 T1",
            Equipment__EquipmentContainer="#S1",
        )
    )
    # 500 kVA, uk 4 %, ukr 1 %: referred to the HV side, z = uk * U^2 / S
    S, U, uk, ukr = S_MVA, U_KV, UK, UKR
    z = uk * U**2 / S
    r = ukr * U**2 / S
    x = (z * z - r * r) ** 0.5
    eq.append(
        obj(
            "PowerTransformerEnd",
            "PTE1",
            IdentifiedObject__name="HV",
            PowerTransformerEnd__PowerTransformer="#PT",
            TransformerEnd__Terminal="#T_PT1",
            TransformerEnd__BaseVoltage="#BV10",
            TransformerEnd__endNumber=1,
            PowerTransformerEnd__ratedS=S,
            PowerTransformerEnd__ratedU=U,
            PowerTransformerEnd__r=r,
            PowerTransformerEnd__x=x,
            PowerTransformerEnd__b=0,
            PowerTransformerEnd__g=0,
            PowerTransformerEnd__r0=r,
            PowerTransformerEnd__x0=x,
            PowerTransformerEnd__b0=0,
            PowerTransformerEnd__g0=0,
            PowerTransformerEnd__connectionKind="enum:WindingConnection.D",
            PowerTransformerEnd__phaseAngleClock=0,
        )
    )
    eq.append(
        obj(
            "PowerTransformerEnd",
            "PTE2",
            IdentifiedObject__name="LV",
            PowerTransformerEnd__PowerTransformer="#PT",
            TransformerEnd__Terminal="#T_PT2",
            TransformerEnd__BaseVoltage="#BV04",
            TransformerEnd__endNumber=2,
            PowerTransformerEnd__ratedS=S,
            PowerTransformerEnd__ratedU=0.4,
            PowerTransformerEnd__r=0,
            PowerTransformerEnd__x=0,
            PowerTransformerEnd__b=0,
            PowerTransformerEnd__g=0,
            PowerTransformerEnd__r0=0,
            PowerTransformerEnd__x0=0,
            PowerTransformerEnd__b0=0,
            PowerTransformerEnd__g0=0,
            PowerTransformerEnd__connectionKind="enum:WindingConnection.Yn",
            PowerTransformerEnd__phaseAngleClock=5,
        )
    )
    term("T_PT1", "PT", "CN_MV", 1)
    term("T_PT2", "PT", "CN_LV", 2)
    for lid, (a, b, km, rkm, xkm, ika) in LINES.items():
        eq.append(
            obj(
                "ACLineSegment",
                lid,
                IdentifiedObject__name=lid,
                Equipment__EquipmentContainer="#VL04",
                ConductingEquipment__BaseVoltage="#BV04",
                Conductor__length=km,
                ACLineSegment__r=rkm * km,
                ACLineSegment__x=xkm * km,
                ACLineSegment__bch=0,
                ACLineSegment__gch=0,
                ACLineSegment__r0=4 * rkm * km,
                ACLineSegment__x0=4 * xkm * km,
                ACLineSegment__b0ch=0,
                ACLineSegment__g0ch=0,
                ACLineSegment__shortCircuitEndTemperature=160,
            )
        )
        term(f"T_{lid}a", lid, a, 1)
        term(f"T_{lid}b", lid, b, 2)
        eq.append(
            obj(
                "OperationalLimitSet",
                f"OLS_{lid}",
                IdentifiedObject__name=f"{lid} limits",
                OperationalLimitSet__Terminal=f"#T_{lid}a",
            )
        )
        eq.append(
            obj(
                "OperationalLimitType",
                f"OLT_{lid}",
                IdentifiedObject__name="PATL",
                OperationalLimitType__limitType="enum:LimitTypeKind.patl",
                OperationalLimitType__direction="enum:OperationalLimitDirectionKind.absoluteValue",
            )
        )
        eq.append(
            obj(
                "CurrentLimit",
                f"CL_{lid}",
                IdentifiedObject__name="PATL",
                OperationalLimit__OperationalLimitSet=f"#OLS_{lid}",
                OperationalLimit__OperationalLimitType=f"#OLT_{lid}",
                CurrentLimit__value=ika * 1000,
            )
        )
    for lid, (cn, _p, _q) in LOADS.items():
        eq.append(
            obj(
                "EnergyConsumer",
                lid,
                IdentifiedObject__name=f"kund-{lid}",
                Equipment__EquipmentContainer="#VL04",
            )
        )
        term(f"T_{lid}", lid, cn)

    ssh = []
    ssh.append(
        about(
            "RegulatingControl",
            "RC",
            RegulatingControl__discrete=False,
            RegulatingControl__enabled=True,
            RegulatingControl__targetDeadband=0,
            RegulatingControl__targetValue=SLACK_KV,
            RegulatingControl__targetValueUnitMultiplier="enum:UnitMultiplier.k",
        )
    )
    ssh.append(
        about(
            "ExternalNetworkInjection",
            "ENI",
            ExternalNetworkInjection__referencePriority=1,
            ExternalNetworkInjection__p=0,
            ExternalNetworkInjection__q=0,
            RegulatingCondEq__controlEnabled=True,
        )
    )
    for lid, (_cn, p, q) in LOADS.items():
        ssh.append(about("EnergyConsumer", lid, EnergyConsumer__p=p, EnergyConsumer__q=q))
    terms = re.findall(r'rdf:ID="_(T_[A-Za-z0-9_]+)"', "\n".join(eq))
    for t in terms:
        ssh.append(about("Terminal", t, ACDCTerminal__connected=True))

    tp = []
    for cn, bv, vl in (
        ("CN_MV", "BV10", "VL10"),
        ("CN_LV", "BV04", "VL04"),
        ("CN_1", "BV04", "VL04"),
        ("CN_2", "BV04", "VL04"),
    ):
        tp.append(
            obj(
                "TopologicalNode",
                f"TN_{cn}",
                IdentifiedObject__name=cn,
                TopologicalNode__BaseVoltage=f"#{bv}",
                TopologicalNode__ConnectivityNodeContainer=f"#{vl}",
            )
        )
        tp.append(about("ConnectivityNode", cn, ConnectivityNode__TopologicalNode=f"#TN_{cn}"))
    term_cn = dict(
        re.findall(
            r'rdf:ID="_(T_[A-Za-z0-9_]+)">\n<cim:IdentifiedObject.name>[^<]*</cim:IdentifiedObject.name>\n<cim:Terminal.ConductingEquipment rdf:resource="#_[A-Za-z0-9_]+"/>\n<cim:Terminal.ConnectivityNode rdf:resource="#_([A-Za-z0-9_]+)"/>',
            "\n".join(eq),
        )
    )
    for t, cn in term_cn.items():
        tp.append(about("Terminal", t, Terminal__TopologicalNode=f"#TN_{cn}"))

    import uuid
    import zipfile

    profiles = {
        "EQ": (eq, "http://entsoe.eu/CIM/EquipmentCore/3/1"),
        "SSH": (ssh, "http://entsoe.eu/CIM/SteadyStateHypothesis/1/1"),
        "TP": (tp, "http://entsoe.eu/CIM/Topology/4/1"),
    }
    with zipfile.ZipFile(path, "w") as zf:
        for name, (items, profile) in profiles.items():
            text = HEAD.format(uuid=uuid.uuid4(), profile=profile) + "\n".join(items) + "\n" + TAIL
            zf.writestr(f"lv_{name}.xml", text)
    return path
